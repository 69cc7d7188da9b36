package terminalgw_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
	"github.com/ecard/ecard/terminalgw"
)

// Benchmarks of the whole server end to end: a real listener on 127.0.0.1
// and keep-alive HTTP clients, over SQLite and, when ECARD_TEST_DATABASE_URL
// is set, PostgreSQL. The world (database, Redis, holders, terminals, tokens,
// codes) is built once per database, outside the timer.

const (
	benchTerminals   = 64 // of each kind: each is limited to 1200 requests a minute
	benchLoginsPerIP = 25 // login is limited to 30 a minute per client IP
	benchTills       = 8
	benchPassword    = "123456"
)

// benchEnv is a world served on a real listener, with a school of its own
// whose per-day limit does not get in the way.
type benchEnv struct {
	w       *world
	base    string
	client  *http.Client            // the holder app
	tills   map[string]*http.Client // one keep-alive client per terminal
	school  ledger.School
	holders []benchHolder
	pos     []string
	gates   []string
	seq     atomic.Uint64 // request ids and terminal choice
}

type benchHolder struct {
	holder ledger.Holder
	token  string
}

func benchEachDB(b *testing.B, fn func(b *testing.B, db *gorm.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, testdb.SQLite(b)) })
	if os.Getenv(testdb.EnvDatabaseURL) != "" {
		b.Run("postgres", func(b *testing.B) { fn(b, testdb.Postgres(b)) })
	}
}

func benchReport(b *testing.B, unit string) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit)
}

// parallelDo runs fn(0..n-1) on workers goroutines and returns the first error.
func parallelDo(n, workers int, fn func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

func newTransport(local net.IP) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if local != nil {
		d.LocalAddr = &net.TCPAddr{IP: local}
	}
	return &http.Transport{DialContext: d.DialContext, MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: time.Minute}
}

// newBenchEnv builds the world with holders signed in (topped up with
// topUpFen each when positive), benchTerminals tills and gates, and serves it
// on 127.0.0.1.
func newBenchEnv(b *testing.B, db *gorm.DB, holders int, topUpFen int64) *benchEnv {
	b.Helper()
	start := time.Now()
	w := newWorld(b, db)
	ctx := context.Background()
	e := &benchEnv{w: w, tills: map[string]*http.Client{}}
	must := func(err error) {
		b.Helper()
		if err != nil {
			b.Fatal(err)
		}
	}
	p := ledger.DefaultPolicies()
	p.PerDayLimitFen = ledger.MaxAmountFen
	p.TopupMaxFen = ledger.MaxAmountFen
	var err error
	e.school, err = w.ledger.CreateSchool(ctx, ledger.NewSchool{Code: "bench", Name: "压测大学", Policies: p})
	must(err)
	merchant, err := w.ledger.CreateMerchant(ctx, e.school.ID, "bench-canteen", "压测食堂")
	must(err)
	for i := range benchTerminals {
		for _, term := range []ledger.NewTerminal{
			{ID: fmt.Sprintf("bpos-%03d", i), Kind: ledger.TerminalPOS, MerchantID: &merchant.ID},
			{ID: fmt.Sprintf("bgate-%03d", i), Kind: ledger.TerminalGate, Place: "library"},
		} {
			term.SchoolID = e.school.ID
			_, secret, err := w.ledger.CreateTerminal(ctx, term)
			must(err)
			w.secrets[term.ID] = secret
			if term.Kind == ledger.TerminalPOS {
				e.pos = append(e.pos, term.ID)
			} else {
				e.gates = append(e.gates, term.ID)
			}
		}
	}
	e.holders = make([]benchHolder, holders)
	for i := range e.holders {
		h, err := w.ledger.CreateHolder(ctx, ledger.NewHolder{SchoolID: e.school.ID, Number: fmt.Sprintf("B%06d", i),
			Name: "压测" + strconv.Itoa(i), Kind: ledger.KindStudent, IDLast6: benchPassword, DormBuilding: "1"})
		must(err)
		e.holders[i].holder = h
		if topUpFen > 0 {
			_, err = w.ledger.TopUp(ctx, ledger.TopUp{Key: "bench-seed-" + strconv.Itoa(i), SchoolID: e.school.ID,
				HolderID: h.ID, Channel: ledger.Sandbox, AmountFen: topUpFen})
			must(err)
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	served := make(chan error, 1)
	go func() { served <- w.app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true}) }()
	e.base = "http://" + ln.Addr().String()
	// Every terminal has its own connections, as a real till does. (With
	// one client for all terminals, requests of different terminals share
	// server connections and some are refused TERMINAL_AUTH: see the
	// report on terminalgw's terminal cache.)
	trs := []*http.Transport{newTransport(nil)}
	e.client = &http.Client{Transport: trs[0], Timeout: 30 * time.Second}
	for _, id := range append(append([]string{}, e.pos...), e.gates...) {
		tr := newTransport(nil)
		trs = append(trs, tr)
		e.tills[id] = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	}
	b.Cleanup(func() {
		for _, tr := range trs {
			tr.CloseIdleConnections()
		}
		_ = w.app.ShutdownWithTimeout(5 * time.Second)
		<-served
	})

	// Sign everyone in, from a different loopback address every
	// benchLoginsPerIP holders so the per-IP login limit is not reached.
	for lo := 0; lo < holders; lo += benchLoginsPerIP {
		hi := min(lo+benchLoginsPerIP, holders)
		ltr := newTransport(net.IPv4(127, 0, byte(1+lo/benchLoginsPerIP/250), byte(2+lo/benchLoginsPerIP%250)))
		login := &http.Client{Transport: ltr, Timeout: 30 * time.Second}
		must(parallelDo(hi-lo, 4, func(i int) error {
			hd := &e.holders[lo+i]
			raw, _ := json.Marshal(map[string]string{"school": "bench", "number": hd.holder.Number, "password": benchPassword})
			status, body, err := e.do(login, "POST", "/api/v1/auth/login", raw, nil)
			if err != nil {
				return err
			}
			var r struct {
				AccessToken string `json:"access_token"`
			}
			if status != 200 || json.Unmarshal(body, &r) != nil || r.AccessToken == "" {
				return fmt.Errorf("login %s: %d %s", hd.holder.Number, status, body)
			}
			hd.token = r.AccessToken
			return nil
		}))
		ltr.CloseIdleConnections()
	}
	b.Logf("setup: %d holders, %d tills, %d gates in %v", holders, len(e.pos), len(e.gates), time.Since(start).Round(time.Millisecond))
	return e
}

func (e *benchEnv) do(client *http.Client, method, path string, body []byte, header map[string]string) (int, []byte, error) {
	req, err := http.NewRequest(method, e.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

// code asks for a code of kind for holder i through the holder API.
func (e *benchEnv) code(i int, kind string) (string, error) {
	raw, _ := json.Marshal(map[string]string{"kind": kind})
	status, body, err := e.do(e.client, "POST", "/api/v1/me/codes", raw, map[string]string{"Authorization": "Bearer " + e.holders[i].token})
	if err != nil {
		return "", err
	}
	var r struct {
		Code string `json:"code"`
	}
	if status != 200 || json.Unmarshal(body, &r) != nil || r.Code == "" {
		return "", fmt.Errorf("%s code: %d %s", kind, status, body)
	}
	return r.Code, nil
}

// signed posts body as terminal id, signed the way API.md says.
func (e *benchEnv) signed(id, path string, body any) (int, []byte, error) {
	raw, _ := json.Marshal(body)
	ts, n := strconv.FormatInt(e.w.clock.Now().Unix(), 10), nonce()
	return e.do(e.tills[id], "POST", path, raw, map[string]string{
		"X-Ecard-Terminal": id, "X-Ecard-Timestamp": ts, "X-Ecard-Nonce": n,
		"X-Ecard-Signature": terminalgw.Signature([]byte(e.w.secrets[id]), "POST", path, ts, n, raw)})
}

// verify checks the ledger, failing b (w.t may belong to an outer benchmark).
func (e *benchEnv) verify(b *testing.B) {
	b.Helper()
	e.w.t = b
	e.w.verify()
}

// BenchmarkIssueCodes: POST /api/v1/me/codes kind=pay, round robin over 200
// signed-in holders.
func BenchmarkIssueCodes(b *testing.B) {
	benchEachDB(b, func(b *testing.B, db *gorm.DB) {
		e := newBenchEnv(b, db, 200, 0)
		issue := func(b *testing.B) {
			i := int(e.seq.Add(1) % uint64(len(e.holders)))
			if _, err := e.code(i, "pay"); err != nil {
				b.Error(err)
			}
		}
		b.Run("serial", func(b *testing.B) {
			b.ResetTimer()
			for range b.N {
				issue(b)
			}
			benchReport(b, "codes/s")
		})
		b.Run("parallel", func(b *testing.B) {
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					issue(b)
				}
			})
			benchReport(b, "codes/s")
		})
		e.verify(b)
	})
}

// BenchmarkAccess: POST /tgw/v1/access with identity codes from a pool (one
// per holder, shown again and again; the clock stands still so none expires)
// over benchTerminals library gates.
func BenchmarkAccess(b *testing.B) {
	benchEachDB(b, func(b *testing.B, db *gorm.DB) {
		e := newBenchEnv(b, db, 200, 0)
		pool := make([]string, len(e.holders))
		if err := parallelDo(len(pool), 8, func(i int) (err error) {
			pool[i], err = e.code(i, "identity")
			return err
		}); err != nil {
			b.Fatal(err)
		}
		allowed := []byte(`"decision":"allow"`)
		access := func(b *testing.B) {
			k := e.seq.Add(1)
			status, body, err := e.signed(e.gates[k%uint64(len(e.gates))], "/tgw/v1/access",
				map[string]any{"request_id": "ba-" + strconv.FormatUint(k, 10), "code": pool[k%uint64(len(pool))]})
			if err != nil || status != 200 || !bytes.Contains(body, allowed) {
				b.Errorf("access: %d %s %v", status, body, err)
			}
		}
		b.Run("serial", func(b *testing.B) {
			b.ResetTimer()
			for range b.N {
				access(b)
			}
			benchReport(b, "verifications/s")
		})
		b.Run("parallel", func(b *testing.B) {
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					access(b)
				}
			})
			benchReport(b, "verifications/s")
		})
		e.verify(b)
	})
}

// BenchmarkPayments: POST /tgw/v1/payments, each with a fresh pay code. A new
// pay code retires the holder's previous one, so payments go in rounds of at
// most one code per holder; each round's codes are issued with the timer
// stopped.
func BenchmarkPayments(b *testing.B) {
	benchEachDB(b, func(b *testing.B, db *gorm.DB) {
		const holders = 500
		e := newBenchEnv(b, db, holders, 1_000_000) // 10,000 yuan each
		var first atomic.Uint64                     // rotates the holders between rounds
		pay := func(b *testing.B, tills int) {
			b.ResetTimer()
			for done := 0; done < b.N; {
				n := min(holders, b.N-done)
				b.StopTimer()
				off := int(first.Add(uint64(n)))
				codes := make([]string, n)
				if err := parallelDo(n, 8, func(i int) (err error) {
					codes[i], err = e.code((off+i)%holders, "pay")
					return err
				}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				err := parallelDo(n, tills, func(i int) error {
					k := e.seq.Add(1)
					amount := 100 + int64(k%400) // 1 to 5 yuan, under the 30-yuan no-PIN limit
					status, body, err := e.signed(e.pos[k%uint64(len(e.pos))], "/tgw/v1/payments",
						map[string]any{"request_id": "bp-" + strconv.FormatUint(k, 10), "amount": amount, "code": codes[i]})
					if err == nil && status != 200 {
						err = fmt.Errorf("payment: %d %s", status, body)
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				done += n
			}
			benchReport(b, "payments/s")
		}
		b.Run("serial", func(b *testing.B) { pay(b, 1) })
		b.Run(fmt.Sprintf("tills%d", benchTills), func(b *testing.B) { pay(b, benchTills) })
		e.verify(b)
	})
}

// BenchmarkCardTaps: POST /tgw/v1/payments with card_uid and the chip's last
// write, as a till that reads the chip sends it. In "pending" runs every
// holder first has money waiting for the card: a holder's first tap answers
// a write, which the till makes and confirms (a second request, counted
// with its tap); later taps find the chip's write settled.
func BenchmarkCardTaps(b *testing.B) {
	benchEachDB(b, func(b *testing.B, db *gorm.DB) {
		const holders = 500
		e := newBenchEnv(b, db, holders, 1_000_000)
		ctx := context.Background()
		chips := make([]atomic.Int64, holders) // each chip's last write
		for i, h := range e.holders {
			if _, err := e.w.ledger.IssueCard(ctx, e.school.ID, h.holder.ID, fmt.Sprintf("BC%06d", i)); err != nil {
				b.Fatal(err)
			}
		}
		tap := func(b *testing.B, tills int, pending bool) {
			if pending {
				b.StopTimer()
				if err := parallelDo(holders, 8, func(i int) error {
					_, err := e.w.ledger.TopUp(ctx, ledger.TopUp{Key: fmt.Sprintf("bench-card-%d-%d", i, e.seq.Add(1)), SchoolID: e.school.ID,
						HolderID: e.holders[i].holder.ID, Channel: ledger.Sandbox, AmountFen: int64(b.N+1) * 100, ToCard: true})
					return err
				}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ResetTimer()
			err := parallelDo(b.N, tills, func(int) error {
				k := e.seq.Add(1)
				i := int(k % holders)
				till := e.pos[k%uint64(len(e.pos))]
				status, body, err := e.signed(till, "/tgw/v1/payments", map[string]any{"request_id": "bc-" + strconv.FormatUint(k, 10),
					"amount": 100, "card_uid": fmt.Sprintf("BC%06d", i), "chip_hold_id": chips[i].Load()})
				if err != nil || status != 200 {
					return fmt.Errorf("card tap: %d %s %v", status, body, err)
				}
				var answer struct {
					Pending *struct {
						HoldID int64 `json:"hold_id"`
					} `json:"pending"`
				}
				if err := json.Unmarshal(body, &answer); err != nil || answer.Pending == nil {
					return err // nothing to write
				}
				chips[i].Store(answer.Pending.HoldID) // written onto the chip, then confirmed
				status, body, err = e.signed(till, "/tgw/v1/cards/claim/confirm", map[string]any{"request_id": "bcc-" + strconv.FormatUint(k, 10),
					"hold_id": answer.Pending.HoldID, "written": true})
				if err != nil || status != 200 {
					return fmt.Errorf("confirm: %d %s %v", status, body, err)
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			benchReport(b, "taps/s")
		}
		b.Run("serial", func(b *testing.B) { tap(b, 1, false) })
		b.Run(fmt.Sprintf("tills%d", benchTills), func(b *testing.B) { tap(b, benchTills, false) })
		b.Run(fmt.Sprintf("pending-tills%d", benchTills), func(b *testing.B) { tap(b, benchTills, true) })
		e.verify(b)
	})
}
