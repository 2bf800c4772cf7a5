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
