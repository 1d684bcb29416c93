# PFN node. `make run` starts a node with local defaults; `make test` runs
# every test against the local PostgreSQL.
GO      ?= go
# Go 1.26.8, the machines' own Go, calls eleven standard-library
# vulnerabilities (net/http, crypto/tls, crypto/x509) fixed in go1.27.3, the
# newer Go the module proxy serves; the go command fetches it once (~76 MB).
# GOTOOLCHAIN=local make ... keeps the machine's own.
GOTOOLCHAIN ?= go1.27.3
export GOTOOLCHAIN
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
TESTFLAGS ?=

.PHONY: build run demo test bench soak lint screenshots

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/pfn ./cmd/pfn
	$(GO) build -o bin/pfn-publisher ./cmd/pfn-publisher

run: build
	@if [ -z "$$PFN_DATABASE_URL" ]; then .ci/postgres-up; fi
	./bin/pfn serve

# The README's first session against a throwaway database and directory;
# runs until Ctrl-C.
demo:
	@.ci/postgres-up
	@scripts/demo

test:
	@.ci/postgres-up
	$(GO) test -race -count=1 $(TESTFLAGS) ./...

# Regenerates the committed docs/screenshots/*.png from the admin UI test
# (tests otherwise write theirs to a temporary directory).
screenshots:
	@.ci/postgres-up
	PFN_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run '^TestAdminUI$$' ./cmd/pfn/

# Figures next to a raw pgx baseline measured in the same run, with ratios.
bench:
	@.ci/postgres-up
	$(GO) test -run '^$$' -bench . -skip Rebuild -benchtime 2s -timeout 30m ./eventstore/
	$(GO) test -run '^$$' -bench Rebuild1M -benchtime 1x -timeout 30m ./eventstore/
	$(GO) test -run '^$$' -bench Mirror -benchtime 5x -timeout 30m ./cmd/pfn/
	$(GO) test -run '^$$' -bench Catalog -benchtime 1x -timeout 30m ./cmd/pfn/
	$(GO) test -run '^$$' -bench LoadSourceAfterAYear -benchtime 5x -timeout 30m ./adapters/postgres/
	$(GO) test -run '^$$' -bench LogAppend100k -benchtime 1x -timeout 30m ./adapters/postgres/

# 100 publishers (well-behaved, slow, failing, hostile) against one node for
# 10 minutes, reads on 8 connections; exits 1 when a target is missed.
# SOAK_DURATION=1m SOAK_SOURCES=20 make soak for a short trial; pfn-soak -h.
soak: build
	@.ci/postgres-up
	$(GO) build -o bin/pfn-soak ./cmd/pfn-soak
	./bin/pfn-soak -pfn bin/pfn -publisher bin/pfn-publisher

# gofmt (check only), go vet, then staticcheck and govulncheck at the versions
# pinned by go.mod's tool lines; .ci/govulncheck says where its database
# comes from and which findings are accepted.
lint:
	@out=$$($$($(GO) env GOROOT)/bin/gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	.ci/govulncheck
