# MedLedger. `make demo` runs the story on the embedded network; `make test`
# runs every test CI runs.
SHELL := /bin/bash
GO ?= go
PKGS := ./...

.PHONY: all build test vet fmt-check demo bench

all: build

build:
	$(GO) build $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

# test: the README's test command. It installs what the tests need first.
test: fmt-check vet
	$(GO) test -race -count=1 $(PKGS)

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
