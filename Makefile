# MedLedger.
#   make demo   the four stakeholders' story on the embedded network
#   make test   every test CI runs (installs redis-server first if missing)
#   make bench  the benchmark tables (not part of test)
SHELL := /bin/bash
GO ?= go
WORK := .work
# apt-get needs root; a developer who is not root is asked for sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Chaincode packages are tested with coverage; everything else without.
OTHER_PKGS = $(shell $(GO) list ./... | grep -v '/chaincode/')
MIN_CHAINCODE_COVERAGE := 90
# Fuzz budgets are counts of executions ("Nx", about 10 s each here), not
# durations: with a duration, Go 1.26's fuzz coordinator can fail a clean
# run with "context deadline exceeded" as the time runs out (golang/go#75804,
# fixed in Go 1.27). FUZZTIME, when set, overrides both (e.g. 5m or 1000000x).
FUZZ_DECIDE ?= 100000x
FUZZ_TRANSACTIONS ?= 20000x

.PHONY: all build demo devnet test deps fmt-check vet test-go test-chaincode fuzz-smoke \
	bench bench-chaincode bench-devnet bench-documents bench-storage

all: build

build:
	$(GO) build ./...

# The story of the four stakeholders, on the embedded network, in process.
demo:
	$(GO) run ./examples/quickstart

# The embedded network as a standalone process (identities and connection.json in .devnet/).
devnet:
	$(GO) run ./network/devnet/cmd/devnet -out .devnet

# test: the README's test command.
test: deps fmt-check vet test-go test-chaincode fuzz-smoke

# redis-server: the Redis adapter's tests start a real one on a loopback port.
deps:
	@command -v redis-server >/dev/null 2>&1 || { $(SUDO) apt-get update && $(SUDO) apt-get install -y redis-server; }

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

test-go:
	$(GO) test -race -count=1 $(OTHER_PKGS)

# The chaincode packages, with the coverage of all of them printed and held
# at MIN_CHAINCODE_COVERAGE percent.
test-chaincode:
	@mkdir -p $(WORK)
	$(GO) test -race -count=1 -coverpkg=./chaincode/... -coverprofile=$(WORK)/chaincode.cov ./chaincode/...
	@total=$$($(GO) tool cover -func=$(WORK)/chaincode.cov | awk '/^total:/ {sub(/%/, "", $$3); print $$3}'); \
	echo "chaincode coverage: $$total% (minimum $(MIN_CHAINCODE_COVERAGE)%)"; \
	awk -v t="$$total" -v m="$(MIN_CHAINCODE_COVERAGE)" 'BEGIN { exit !(t >= m) }'

# A short run of each fuzz target; `make fuzz-smoke FUZZTIME=5m` for longer.
fuzz-smoke:
	$(GO) test ./chaincode/access -run '^$$' -fuzz '^FuzzDecide$$' -fuzztime $(or $(FUZZTIME),$(FUZZ_DECIDE))
	$(GO) test ./chaincode/contract -run '^$$' -fuzz '^FuzzTransactions$$' -fuzztime $(or $(FUZZTIME),$(FUZZ_TRANSACTIONS))

# Benchmarks print tables; they are never part of `make test`.
bench: bench-chaincode bench-devnet bench-documents bench-storage

# AccessDocument on the simulator: ns/op and state reads per call as the ledger grows.
bench-chaincode:
	@set -o pipefail; $(GO) test -run '^$$' -bench '^BenchmarkAccessDocument$$' -benchtime 2000x -count 3 ./chaincode/contract/ | awk -f chaincode/contract/testdata/benchtable.awk

# Committed submits per second (1 and 16 clients) and evaluate latency through real gRPC.
bench-devnet:
	GOGC=400 $(GO) test -run '^$$' -bench . -benchtime 2000x ./network/devnet/

# Upload and download through the SDK with the filesystem store, next to openssl.
bench-documents:
	$(GO) run ./test/bench -sizes 1MiB,100MiB,1GiB -runs 3

# Encrypted upload and download, next to openssl's AES-256-GCM and SHA-256.
bench-storage:
	$(GO) test -run '^$$' -bench . -benchtime 5x ./sdk/seal
	$(GO) run ./sdk/seal/sealbench -sizes 100MiB,1GiB

# Real Fabric network (network/fabric): Fabric release binaries on PATH or in
# FABRIC_BIN, configuration in FABRIC_CFG_PATH or the binaries' ../config.
# CHAINCODE is medledger or baseline (not CC: make uses CC for the C compiler).
CHAINCODE ?= medledger
.PHONY: network-up network-down network-deploy network-status test-fabric bench-fabric

network-up:
	network/fabric/up.sh

network-down:
	network/fabric/down.sh

# Deploys CHAINCODE; running it again upgrades (next sequence).
network-deploy:
	network/fabric/deploy.sh $(CHAINCODE)

network-status:
	network/fabric/status.sh

# The e2e suite and the quickstart, each on a fresh network; skips (exit 0)
# without binaries and always tears the network down.
test-fabric:
	network/fabric/test.sh

# BENCH_FLAGS, e.g. BENCH_FLAGS="-duration 20s -clients 1,16"
bench-fabric:
	network/fabric/bench.sh $(BENCH_FLAGS)
