package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ecard/ecard/bff"
)

// drainBackground ends a graceful shutdown once no request is left: it stops
// the notice sender and the jobs, waits for the batch or job in hand, then
// sends the notices the last requests wrote (they are in the outbox, so one
// that still fails goes out at the next start, never lost).
func drainBackground(stop func(), background *sync.WaitGroup, notifier *bff.Notifier, timeout time.Duration, log *slog.Logger) error {
	stop()
	background.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		sent, err := notifier.DeliverDue(ctx)
		if err != nil {
			return err
		}
		if sent == 0 {
			log.Info("stopped: no request in flight, notices sent, jobs finished")
			return nil
		}
	}
}
