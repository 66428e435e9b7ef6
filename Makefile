# Shardlab — `make run` and `make test` are all a fresh machine needs.
GO         ?= go
BIN        := bin/shardlab
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# gotestsum runs `go test -json` and ends with a count of the tests run, skipped and failed (DONE N tests…).
GOTESTSUM  := gotest.tools/gotestsum@v1.13.0
# go-mpv v0.4.0 names two libmpv 0.36 calls Debian 12's libmpv 0.35 lacks: a header shim declares them (and
# internal/mpvcompat defines them) when the system's libmpv is older; every build and test goes through it.
export CGO_CFLAGS := -I$(CURDIR)/internal/mpvcompat/include $(CGO_CFLAGS)
# Tests never write to the user's home: each run gets throwaway XDG config, cache and data dirs, removed after.
TESTENV    := home=$$(mktemp -d -t shardlab-test-XXXXXX) && trap 'rm -rf "$$home"' EXIT && \
	XDG_CONFIG_HOME=$$home/config XDG_CACHE_HOME=$$home/cache XDG_DATA_HOME=$$home/data

.PHONY: all deps test-deps build run test test-short smoke bench bench-api bench-efo bench-gui fuzz lint fmt clean

all: build

deps: node_modules/.package-lock.json
	@bash packaging/system-deps.sh

# What the tests need on top: PostgreSQL for the delivery tests.
test-deps: deps
	@bash packaging/system-deps.sh --test

# The AWS JavaScript SDK (a second real client in the tests) and the peers of `make bench-api`, from npm.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

# The version shown in About and `shardlab version` is the commit the binary was built from.
VERSION    := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./app

# The desktop app on the default data directory, with the Kinesis API served from inside it.
run: deps build
	./$(BIN) gui

# go vet, then every test (the engine's under the race detector); fuzz targets run their seed corpus; then the
# real app under Xvfb when Xvfb is installed (deps installs it).
test: test-deps
	$(GO) vet ./...
	$(TESTENV) $(GO) run $(GOTESTSUM) --format pkgname-and-test-fails -- -race -count=1 -timeout 15m ./...
	@if command -v Xvfb >/dev/null; then $(MAKE) --no-print-directory smoke; else echo "smoke: skipped, no Xvfb"; fi

# The real binary under Xvfb: a stream made through the in-app API, the hot-shard dashboard, a screenshot that
# must not be blank (bin/smoke.png).
smoke: build
	bash scripts/gui-check.sh smoke

# The app's idle CPU and its CPU and RSS with a 20,000 records/s producer (BENCHMARKS.md).
bench-gui: build
	bash scripts/gui-check.sh bench

test-short:
	$(TESTENV) $(GO) test -short -count=1 ./...

# The in-process engine benchmark of BENCHMARKS.md, plus the Go micro-benchmarks (engine, helpers, GUI widgets).
bench: build
	./$(BIN) bench
	$(TESTENV) $(GO) test -run '^$$' -bench . -benchmem ./engine/... ./internal/... ./views/widgets

# Shardlab's Kinesis API beside kinesalite and kinesis-local (from npm), one aws-sdk-go-v2 workload, in one run.
bench-api: node_modules/.package-lock.json build
	./$(BIN) bench-api

# Enhanced fan-out: put-to-SubscribeToShard-event latency at 10,000 records/s, one consumer, then five.
bench-efo: build
	./$(BIN) bench-efo

# Long fuzzing, one target at a time (FUZZTIME per target, default 60s).
FUZZTIME ?= 60s
fuzz:
	$(TESTENV) $(GO) test -run '^$$' -fuzz '^FuzzPutRecordsValidation$$' -fuzztime $(FUZZTIME) ./engine
	$(TESTENV) $(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/hashkey
	$(TESTENV) $(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/seqnum
	$(TESTENV) $(GO) test -run '^$$' -fuzz '^FuzzDecodeRecord$$' -fuzztime $(FUZZTIME) ./engine/storage
	$(TESTENV) $(GO) test -run '^$$' -fuzz '^FuzzJSONRequests$$' -fuzztime $(FUZZTIME) ./engine/kinesisapi
	$(TESTENV) $(GO) test -run '^$$' -fuzz '^FuzzCBORRequests$$' -fuzztime $(FUZZTIME) ./engine/kinesisapi
	$(TESTENV) $(GO) test -run '^$$' -fuzz '^FuzzFastPutRecordsMatchesEncodingJSON$$' -fuzztime $(FUZZTIME) ./engine/kinesisapi
	$(TESTENV) $(GO) test -run '^$$' -fuzz '^FuzzReader$$' -fuzztime $(FUZZTIME) ./engine/replay
	$(TESTENV) $(GO) test -run '^$$' -fuzz '^FuzzCompile$$' -fuzztime $(FUZZTIME) ./engine/recordexpr
	$(TESTENV) $(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./internal/b64
	$(TESTENV) $(GO) test -run '^$$' -fuzz '^FuzzEncode$$' -fuzztime $(FUZZTIME) ./internal/b64
	$(TESTENV) $(GO) test -run '^$$' -fuzz '^FuzzParseSpec$$' -fuzztime $(FUZZTIME) ./engine/delivery
	$(TESTENV) $(GO) test -run '^$$' -fuzz '^FuzzFirehoseRequests$$' -fuzztime $(FUZZTIME) ./engine/firehoseapi
	$(TESTENV) $(GO) test -run '^$$' -fuzz '^FuzzParseQuery$$' -fuzztime $(FUZZTIME) ./engine/analytics
	$(TESTENV) $(GO) test -run '^$$' -fuzz '^FuzzFragmenter$$' -fuzztime $(FUZZTIME) ./engine/video/container
	$(TESTENV) $(GO) test -run '^$$' -fuzz '^FuzzMatroska$$' -fuzztime $(FUZZTIME) ./engine/video/container
	$(TESTENV) $(GO) test -run '^$$' -fuzz '^FuzzOpen$$' -fuzztime $(FUZZTIME) ./engine/envelope
	$(TESTENV) $(GO) test -run '^$$' -fuzz '^FuzzRoundTrip$$' -fuzztime $(FUZZTIME) ./engine/envelope
	$(TESTENV) $(GO) test -run '^$$' -fuzz '^FuzzParseKeyFile$$' -fuzztime $(FUZZTIME) ./engine/envelope

lint:
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

fmt:
	gofmt -w .

clean:
	rm -rf bin
