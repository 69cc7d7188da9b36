// Package jobs runs ecard's scheduled work (closing unpaid orders, freezes,
// subsidy expiry, replacement moves, hold timeouts) inside `ecard serve`,
// each under a database lease so that of several nodes only one runs a job
// at a time, and on demand with `ecard jobs run NAME`.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"time"
)

// Job is one piece of scheduled work. Run must be safe to run again after a
// crash halfway: every job's writes are idempotent.
type Job struct {
	Name  string
	Every time.Duration
	// Run does one bounded batch and says what it did, for logs and the CLI.
	Run func(ctx context.Context) (string, error)
}

// Leaser is the lease store (the ledger's job_leases table).
type Leaser interface {
	AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, owner string) error
}

// Runner holds the jobs and runs them.
type Runner struct {
	leases Leaser
	log    *slog.Logger
	owner  string
	jobs   map[string]Job
}

// leaseTTL is how long a node keeps a job while it runs one batch; a node
// that dies mid-batch lets another take over after it.
const leaseTTL = 5 * time.Minute

// New returns a runner; owner names this node in leases.
func New(leases Leaser, log *slog.Logger) *Runner {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return &Runner{leases: leases, log: log, owner: host + "-" + hex.EncodeToString(b[:]), jobs: map[string]Job{}}
}

// Add registers a job; names are unique.
func (r *Runner) Add(j Job) {
	if j.Name == "" || j.Every <= 0 || j.Run == nil {
		panic("jobs: a job needs a name, a period and a Run")
	}
	if _, dup := r.jobs[j.Name]; dup {
		panic("jobs: duplicate job " + j.Name)
	}
	r.jobs[j.Name] = j
}

// Names lists the registered jobs, sorted.
func (r *Runner) Names() []string {
	names := make([]string, 0, len(r.jobs))
	for n := range r.jobs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ErrBusy says another node holds the job's lease right now.
var ErrBusy = errors.New("jobs: another node is running this job")

// RunOnce runs one batch of the named job under its lease.
func (r *Runner) RunOnce(ctx context.Context, name string) (string, error) {
	j, ok := r.jobs[name]
	if !ok {
		return "", fmt.Errorf("jobs: no job %q (have %v)", name, r.Names())
	}
	lease := "job:" + name
	got, err := r.leases.AcquireLease(ctx, lease, r.owner, leaseTTL)
	if err != nil {
		return "", err
	}
	if !got {
		return "", ErrBusy
	}
	defer func() { _ = r.leases.ReleaseLease(context.WithoutCancel(ctx), lease, r.owner) }()
	return j.Run(ctx)
}

// Run runs every job on its period until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	done := make(chan struct{}, len(r.jobs))
	for _, j := range r.jobs {
		go func(j Job) {
			defer func() { done <- struct{}{} }()
			t := time.NewTicker(j.Every)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				out, err := r.RunOnce(ctx, j.Name)
				switch {
				case errors.Is(err, ErrBusy), ctx.Err() != nil:
				case err != nil:
					r.log.Error("job failed", "job", j.Name, "err", err)
				case out != "":
					r.log.Info("job ran", "job", j.Name, "result", out)
				}
			}
		}(j)
	}
	for range r.jobs {
		<-done
	}
}
