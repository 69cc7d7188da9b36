# ecard: `make run` starts everything with embedded defaults; `make test` checks it.
GO          ?= go
SHELL       := /bin/bash
GOTESTFLAGS ?=
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: run build test lint bench soak fuzz chaos clean web web-check

run:
	$(GO) run ./cmd/ecard serve --demo

build:
	$(GO) build -o bin/ecard ./cmd/ecard

# Unit, integration and property tests. They run on SQLite and the embedded
# Redis; set ECARD_TEST_DATABASE_URL and ECARD_TEST_REDIS_URL to run them on
# PostgreSQL and Redis as well (CI does).
test:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) test $(GOTESTFLAGS) -count=1 -timeout 20m ./...

lint:
	$(GO) run $(STATICCHECK) ./...

# Throughput on SQLite (and PostgreSQL when ECARD_TEST_DATABASE_URL is set):
# ledger payments/s with 1 and 32 payers; codes issued/s, identity checks/s and
# payments/s and card taps/s end to end through HTTP; raw Ed25519 verifies/s beside them;
# provider notifications credited/s.
bench:
	$(GO) test ./ledger -run '^$$' -bench BenchmarkPayments -benchtime 3s -timeout 30m
	$(GO) test ./bff -run '^$$' -bench BenchmarkNotifications -benchtime 2s -timeout 30m
	$(GO) test ./qrcode ./terminalgw -run '^$$' -bench . -benchtime 2s -timeout 30m

# A long random run of the ledger property test; the seed is printed.
soak:
	ECARD_SOAK_SECONDS=$${ECARD_SOAK_SECONDS:-300} $(GO) test ./ledger -run TestSoak -count=1 -timeout 0 -v

# Every fuzz target for FUZZTIME each (CI: a few seconds; a long run: 30m);
# prints executions per target at the end.
FUZZTIME ?= 30m
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) ./chaos/fuzz.sh

# Fault runs against the real binary (chaos/): SIGKILL and restart under till
# load for CHAOS_CYCLES cycles, SIGTERM under load; on PostgreSQL and Redis
# too when ECARD_TEST_DATABASE_URL and ECARD_TEST_REDIS_URL are set. The
# figures (CHAOS lines) are printed at the end.
CHAOS_CYCLES ?= 100
chaos:
	@ECARD_CHAOS=1 CHAOS_CYCLES=$(CHAOS_CYCLES) $(GO) test ./chaos -count=1 -v -timeout 0 2>&1 | tee chaos.out | grep -E '^(--- |FAIL|ok|panic)' ; \
	  status=$${PIPESTATUS[0]}; echo; grep '^CHAOS' chaos.out; rm -f chaos.out; exit $$status

clean:
	rm -rf bin data

# The front-ends (web/): Vue 3 + Vant 4 built by Vite into web/dist, which is
# committed and embedded, so `go build` needs no Node. `make web` rebuilds it;
# `make web-check` rebuilds from the locked packages and fails when the
# committed build differs from what the sources give.
web:
	cd web && npm ci --no-audit --no-fund && npm run build

web-check: web
	@if [ -n "$$(git status --porcelain -- web/dist)" ]; then \
	  echo "web/dist differs from a fresh build of web/ (run make web and commit):"; \
	  git status --short -- web/dist; exit 1; fi
