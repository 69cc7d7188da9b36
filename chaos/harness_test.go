// Package chaos drives the real ecard binary as separate processes on
// loopback ports and breaks things under load: SIGKILL and restart, SIGTERM.
// The tests run only with ECARD_CHAOS=1 (make chaos); `make test` skips them.
package chaos

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/internal/testredis"
	ledgerpg "github.com/ecard/ecard/ledger/postgres"
	"github.com/ecard/ecard/ledger/sqlite"
	"github.com/ecard/ecard/terminalgw"
)

// binary is the ecard built once for the whole run.
var binary string

func TestMain(m *testing.M) {
	if os.Getenv("ECARD_CHAOS") != "1" {
		fmt.Println("chaos: skipped (set ECARD_CHAOS=1 or run make chaos)")
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "ecard-chaos")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "ecard")
	build := exec.Command("go", "build", "-o", binary, "../cmd/ecard")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		panic(err)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// site is one deployment under test: its environment (a SQLite data
// directory, or a PostgreSQL schema and a Redis prefix of its own) and a fixed
// loopback port, so that tills reach it again after a restart.
type site struct {
	t    *testing.T
	env  []string
	base string
	dir  string
	cmd  *exec.Cmd
	exit chan error
	log  *bytes.Buffer
}

// eachSite runs fn on SQLite with the embedded Redis, and on PostgreSQL and
// Redis when ECARD_TEST_DATABASE_URL and ECARD_TEST_REDIS_URL are set.
func eachSite(t *testing.T, fn func(t *testing.T, s *site)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, newSite(t, nil)) })
	if os.Getenv(testdb.EnvDatabaseURL) != "" && os.Getenv(testredis.EnvRedisURL) != "" {
		t.Run("postgres", func(t *testing.T) {
			url, _ := testdb.SchemaURL(t)
			r := testredis.Open(t)
			fn(t, newSite(t, []string{"ECARD_DATABASE_URL=" + url, "ECARD_REDIS_URL=" + r.URL, "ECARD_REDIS_KEY_PREFIX=" + r.Prefix}))
		})
	}
}

func newSite(t *testing.T, extra []string) *site {
	dir := t.TempDir()
	addr := freeAddr(t)
	env := append(os.Environ(), "ECARD_DATA_DIR="+dir, "ECARD_HTTP_ADDR="+addr,
		"ECARD_ARGON2_MEMORY_KIB=64", "ECARD_ARGON2_PARALLELISM=1", "ECARD_LOG_LEVEL=warn")
	s := &site{t: t, env: append(env, extra...), base: "http://" + addr, dir: dir}
	t.Cleanup(func() {
		if s.cmd != nil {
			s.kill()
		}
	})
	return s
}

// holderPost calls the holder API with a bearer token ("" for none).
func holderPost(base, path, token string, body any) answer {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return answer{status: resp.StatusCode, body: out}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs `ecard serve --demo` and waits until /healthz answers.
func (s *site) start() {
	s.t.Helper()
	s.log = &bytes.Buffer{}
	s.cmd = exec.Command(binary, "serve", "--demo")
	s.cmd.Env = s.env
	s.cmd.Stdout, s.cmd.Stderr = io.Discard, s.log
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.exit = make(chan error, 1)
	go func(cmd *exec.Cmd, exit chan error) { exit <- cmd.Wait() }(s.cmd, s.exit)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-s.exit:
			s.t.Fatalf("serve exited: %v\n%s", err, s.log)
		case <-time.After(50 * time.Millisecond):
		}
	}
	s.t.Fatalf("serve did not become healthy:\n%s", s.log)
}

// kill ends the server with SIGKILL: no shutdown code runs.
func (s *site) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exit
	s.cmd = nil
}

// ecard runs a command of the binary against the site's database.
func (s *site) ecard(args ...string) (string, error) {
	cmd := exec.Command(binary, args...)
	cmd.Env = s.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// verify runs `ecard ledger verify` as an operator would.
func (s *site) verify() {
	s.t.Helper()
	if out, err := s.ecard("ledger", "verify"); err != nil {
		s.t.Fatalf("ledger verify: %v\n%s", err, out)
	}
}

// db opens the site's database to check what the tills were told.
func (s *site) db() *gorm.DB {
	s.t.Helper()
	var db *gorm.DB
	var err error
	if url := s.databaseURL(); url != "" {
		db, err = ledgerpg.Open(context.Background(), url, ledgerpg.Options{MaxOpenConns: 2, MaxIdleConns: 2})
	} else {
		db, err = sqlite.Open(context.Background(), filepath.Join(s.dir, "ecard.db"))
	}
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	return db
}

func (s *site) databaseURL() string {
	for _, kv := range s.env {
		if url, ok := strings.CutPrefix(kv, "ECARD_DATABASE_URL="); ok {
			return url
		}
	}
	return ""
}

// till is a demo terminal signing its requests as API.md says.
type till struct {
	base, id string
	secret   []byte
	http     *http.Client
}

func demoTill(base string) till {
	return till{base: base, id: "demo-pos-1", secret: []byte("demo-pos-1-secret-change-me"),
		http: &http.Client{Timeout: 5 * time.Second}}
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// answer is what a till heard; status 0 means it heard nothing (the
// connection failed or the answer was lost).
type answer struct {
	status int
	body   map[string]any
}

func (a answer) approved() bool { return a.status == http.StatusOK && a.body["status"] == "approved" }

func (a answer) code() string {
	e, _ := a.body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func (a answer) transaction() int64 {
	n, _ := a.body["transaction_id"].(json.Number)
	id, _ := n.Int64()
	return id
}

func (p till) post(path string, body any) answer {
	return p.postSigned(path, body, strconv.FormatInt(time.Now().Unix(), 10), randomID())
}

// postSigned sends with the given timestamp and nonce, to replay one.
func (p till) postSigned(path string, body any, ts, nonce string) answer {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, p.base+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Ecard-Terminal", p.id)
	req.Header.Set("X-Ecard-Timestamp", ts)
	req.Header.Set("X-Ecard-Nonce", nonce)
	req.Header.Set("X-Ecard-Signature", terminalgw.Signature(p.secret, http.MethodPost, path, ts, nonce, raw))
	resp, err := p.http.Do(req)
	if err != nil {
		return answer{}
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		return answer{} // the answer was cut off: the till did not hear it
	}
	return answer{status: resp.StatusCode, body: out}
}
