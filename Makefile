# efacture: `make run` starts the portal locally, `make test` runs every test.
# Targets install what they need themselves (Go modules, npm packages, Chromium).

.DEFAULT_GOAL := help
GO ?= go
NPM ?= npm

include infra/sam.mk

.PHONY: help
help:
	@echo "make run    the whole portal on loopback, seeded with demo data"
	@echo "make test   every test: unit, integration against emulators, template, browser"
	@echo "make build  every Lambda function, as sam build does"
	@echo "make fuzz   every fuzz target for FUZZTIME (default 30s) each"
	@echo "make deploy sam build && sam deploy, then the frontend upload"

# deps fetches Go modules and the npm packages of the local emulators.
.PHONY: deps
deps: infra/emulators/node_modules/.installed
	$(GO) mod download

infra/emulators/node_modules/.installed: infra/emulators/package.json infra/emulators/package-lock.json
	cd infra/emulators && $(NPM) ci --no-audit --no-fund --loglevel=error
	touch $@

.PHONY: test
test: deps validate-template
	$(GO) vet ./...
	$(GO) test -timeout 30m ./...

.PHONY: fuzz
fuzz:
	infra/fuzz/run.sh

# run starts the local portal; RUNFLAGS passes flags, e.g. RUNFLAGS=-ttl-sweeper (see docs/LOCAL.md).
.PHONY: run
run: deps
	$(GO) run ./infra/local $(RUNFLAGS)

.PHONY: deploy
deploy:
	sam build && sam deploy
