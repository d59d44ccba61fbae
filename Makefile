# sns-os — make test installs what the tests need (PostgreSQL and Chromium
# from Debian's packages when missing), starts a throwaway PostgreSQL on
# loopback, then runs vet, a pure-Go build and every test on SQLite and
# PostgreSQL, the browser tests in headless Chromium.

GO       ?= go
PKGS     ?= ./...
# The race detector needs cgo; it is used when a C compiler is present.
RACE     ?= $(shell [ "$$($(GO) env CGO_ENABLED)" = 1 ] && command -v gcc >/dev/null && echo -race)
TESTFLAGS ?= -count=1 -timeout 15m

.PHONY: all build release procbench test vet testdb testdb-stop bench bench-scale fuzz demo clean screenshots soak

all: build

build:
	CGO_ENABLED=0 $(GO) build -o bin/sns-os ./cmd/sns-os

# The release binary: static (CGO_ENABLED=0), without build paths
# (-trimpath) and without the symbol table and DWARF (-s -w): smaller,
# and what docs/benchmarks.md measures.
release:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o bin/sns-os ./cmd/sns-os

# Start-up to the first /readyz 200 on an existing data dir and the idle
# RSS at 5 s and 60 s, of the release binary (docs/benchmarks.md).
procbench: release
	$(GO) run ./scripts/procbench -bin bin/sns-os

vet:
	$(GO) vet $(PKGS)
	@bad=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$bad" ]; then echo "not gofmt-formatted:"; echo "$$bad"; exit 1; fi

test: vet
	CGO_ENABLED=0 $(GO) build ./...
	@scripts/chromium.sh
	@url=$$(scripts/testdb.sh start) || exit 1; \
	  echo "testing with SNSOS_TEST_POSTGRES_URL=$$url"; \
	  SNSOS_TEST_POSTGRES_URL="$$url" $(GO) test $(RACE) $(TESTFLAGS) $(PKGS); rc=$$?; \
	  scripts/testdb.sh stop; exit $$rc

# The full crash soak (internal/soak) on SQLite and on PostgreSQL (two
# processes), against a throwaway PostgreSQL like make test: prints one
# "soak:" line per database; the whole output is kept in SOAKLOG.
SOAKLOG ?= bin/soak.log
soak:
	@mkdir -p $(dir $(SOAKLOG)); url=$$(scripts/testdb.sh start) || exit 1; \
	  echo "soak with SNSOS_TEST_POSTGRES_URL=$$url (output in $(SOAKLOG))"; \
	  SNSOS_SOAK=full SNSOS_TEST_POSTGRES_URL="$$url" $(GO) test -count=1 -timeout 30m -v -run '^TestSoak' ./internal/soak/ >$(SOAKLOG) 2>&1; rc=$$?; \
	  scripts/testdb.sh stop; \
	  if [ $$rc != 0 ]; then grep -v '^=== ' $(SOAKLOG) | tail -n 400; fi; \
	  grep -E '^soak:|soak by platform:|^(--- |ok |FAIL)' $(SOAKLOG); exit $$rc

testdb:
	@scripts/testdb.sh start

testdb-stop:
	@scripts/testdb.sh stop

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# The scale benchmark (issue 16): seeds BENCH_POSTS posts into BENCH_DIR
# (reused while it was seeded with the same size in the last 6 days), starts
# `sns-os serve` on it with the X simulator, and prints p50/p95 and HTML
# size of every page and API route, the peak RSS and the lateness of posts
# due while the heaviest page is requested in a loop. SQLite unless
# SNSOS_DATABASE_URL is set. BENCHFLAGS adds flags, e.g. --requests 5.
BENCH_POSTS ?= 100000
BENCH_DIR   ?= bin/bench-$(BENCH_POSTS)
BENCHFLAGS  ?=
bench-scale: build
	bin/sns-os bench run --data $(BENCH_DIR) --posts $(BENCH_POSTS) $(BENCHFLAGS)

# A short fuzz run of every fuzz target (FUZZTIME each).
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; done

demo:
	$(GO) run ./cmd/sns-os demo

# Regenerate docs/screenshots/ from the browser test.
screenshots:
	@scripts/chromium.sh
	SNSOS_SCREENSHOTS=1 $(GO) test -count=1 -run Browser ./internal/web/

clean:
	rm -rf bin
