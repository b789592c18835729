# Two commands for a fresh machine:
#   make run    build and start the service with the demo catalogue at http://127.0.0.1:8080
#   make test   install what the tests need, then run every test
# Plain `cargo run -- serve` and `cargo test` work once `make prereqs` has run.

SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run test prereqs build-prereqs lint

# What the build needs (a C++ compiler and libclang for RocksDB).
build-prereqs:
	@./scripts/prereqs.sh build

# What the build and the tests need.
prereqs:
	@./scripts/prereqs.sh

run: build-prereqs
	$(CARGO) run -- serve

lint: prereqs
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

test: lint
	$(CARGO) test --all-targets
