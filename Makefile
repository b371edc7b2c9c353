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
	@echo "make check  gofmt, go mod tidy, go vet and staticcheck (part of make test)"
	@echo "make build  every Lambda function, as sam build does"
	@echo "make fuzz   every fuzz target for FUZZTIME (default 30s) each"
	@echo "make bench  the benchmarks against a private moto, rewriting docs/BENCHMARKS.md (not in make test)"
	@echo "make soak   1,000 documents through the local portal under faults, one summary line (≤ 10 min)"
	@echo "make load   concurrent sessions against the local portal, a table per route, no 5xx (≤ 2 min)"
	@echo "make scale  a referential and documents through the local portal, calls and memory per row and document (docs/SCALE.md)"
	@echo "make deploy sam build && sam deploy (ENV=default|staging|prod, samconfig.toml), then the frontend upload"
	@echo "make web    the frontend, built into web/dist"
	@echo "make test-web  the frontend's unit and browser tests (Chromium)"
	@echo "make screenshots  each page at desktop and phone width, into docs/screenshots"

# deps fetches Go modules and the npm packages of the local emulators.
.PHONY: deps
deps: infra/emulators/node_modules/.installed
	$(GO) mod download

infra/emulators/node_modules/.installed: infra/emulators/package.json infra/emulators/package-lock.json
	cd infra/emulators && $(NPM) ci --no-audit --no-fund --loglevel=error
	touch $@

# pyversions prints a notice when the Python tools differ from infra/requirements.txt.
.PHONY: pyversions
pyversions:
	@infra/pyversions.sh

.PHONY: test
test: pyversions deps check validate-template
	$(GO) test -timeout 30m ./...
	$(MAKE) test-web

# check fails on unformatted Go files, an untidy go.mod (the product's or the tools'),
# go vet and staticcheck; staticcheck's version is pinned by infra/tools/go.mod.
GO_DIRS := functions infra shared
.PHONY: check
check:
	@unformatted=$$(gofmt -l $(GO_DIRS)); \
	if [ -n "$$unformatted" ]; then echo "gofmt -l: run gofmt -w on:"; echo "$$unformatted"; exit 1; fi
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }
	@cd infra/tools && $(GO) mod tidy -diff || { echo "infra/tools/go.mod is not tidy: run go mod tidy there"; exit 1; }
	$(GO) vet ./...
	$(GO) tool -modfile=infra/tools/go.mod staticcheck ./...

.PHONY: fuzz
fuzz:
	infra/fuzz/run.sh

# bench runs infra/bench's benchmarks against a private moto, interleaved and repeated,
# and rewrites docs/BENCHMARKS.md (see its Method section); AWS_CA_BUNDLE is unset, as
# nothing but loopback is reached.
.PHONY: bench
bench: web/node_modules/.installed
	env -u AWS_CA_BUNDLE $(GO) run ./infra/bench/run

# soak files 1,000 documents through the local portal while SES fails, the emulator is
# paused and the handlers crash, then prints one line; SOAKFLAGS passes flags (see
# docs/SECURITY.md).
.PHONY: soak
soak: deps
	$(GO) run ./infra/soak $(SOAKFLAGS)

# load drives the local portal with concurrent sessions and prints a table per route; any
# 5xx fails it. LOADFLAGS passes flags (see docs/SECURITY.md).
.PHONY: load
load: deps
	$(GO) run ./infra/load $(LOADFLAGS)

# scale applies a 100,000-row referential twice, then files 2,000 documents through the
# local portal, and prints the AWS calls, time and memory of each phase (docs/SCALE.md);
# SCALEFLAGS passes flags, e.g. SCALEFLAGS="-rows 1000 -markdown".
.PHONY: scale
scale: deps
	$(GO) run ./infra/scale $(SCALEFLAGS)

# run starts the local portal; RUNFLAGS passes flags, e.g. RUNFLAGS=-ttl-sweeper (see docs/LOCAL.md).
.PHONY: run
run: pyversions deps web
	$(GO) run ./infra/local $(RUNFLAGS)

# deploy runs SAM with samconfig.toml's ENV section (default, staging, prod), then uploads
# web/dist to the web bucket (hashed assets first, cached for a year; pages revalidated
# each time, the token pages and the console never stored) and invalidates CloudFront. Bucket and
# distribution come from the stack's outputs; stack and region from samconfig.toml.
ENV ?= default
samconfig_value = $(shell awk -v s='[$(ENV).global.parameters]' '$$0 == s {f = 1; next} /^\[/ {f = 0} f && $$1 == "$(1)" {gsub(/"/, "", $$3); print $$3; exit}' samconfig.toml)
STACK_NAME ?= $(call samconfig_value,stack_name)
REGION ?= $(call samconfig_value,region)
stack_output = $$(aws cloudformation describe-stacks --region $(REGION) --stack-name $(STACK_NAME) --query "Stacks[0].Outputs[?OutputKey=='$(1)'].OutputValue" --output text)

.PHONY: deploy
deploy: web
	@test -n "$(STACK_NAME)" || { echo "samconfig.toml has no [$(ENV).global.parameters] stack_name"; exit 1; }
	sam build --config-env $(ENV) && sam deploy --config-env $(ENV)
	bucket=$(call stack_output,WebBucketName) && distribution=$(call stack_output,WebDistributionId) && \
	aws s3 sync web/dist/assets "s3://$$bucket/assets" --region $(REGION) --cache-control "public, max-age=31536000, immutable" && \
	aws s3 sync web/dist "s3://$$bucket" --region $(REGION) --exclude "assets/*" --exclude password.html --exclude link.html --exclude staff.html --delete --cache-control "no-cache" --content-type "text/html; charset=utf-8" && \
	for page in password link staff; do aws s3 cp web/dist/$$page.html "s3://$$bucket/$$page.html" --region $(REGION) --cache-control "no-store" --content-type "text/html; charset=utf-8" || exit 1; done && \
	aws cloudfront create-invalidation --distribution-id "$$distribution" --paths "/*"

# ---------------------------------------------------------------- frontend (web/)

WEB_SOURCES := $(shell find web/src -type f 2>/dev/null) $(wildcard web/*.html) web/vite.config.mjs web/tsconfig.json

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && $(NPM) ci --no-audit --no-fund --loglevel=error
	touch $@

# web builds web/dist only when a source changed (type check, then Vite).
.PHONY: web
web: web/dist/index.html

web/dist/index.html: web/node_modules/.installed $(WEB_SOURCES)
	cd web && $(NPM) run --silent build
	touch $@

# chromium installs Debian's Chromium where missing; the browser tests never download one.
.PHONY: chromium
chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update && apt-get install -y chromium)

# e2e-portal builds the command the browser tests and screenshots run the portal with.
.PHONY: e2e-portal
e2e-portal:
	$(GO) build -o web/.build/e2eportal ./infra/e2eportal

# test-web: unit tests of the pages' logic, the built pages' rules and sizes, then the
# browser tests against a portal on free ports with its own emulators.
.PHONY: test-web
test-web: deps web chromium e2e-portal
	cd web && $(NPM) run --silent test:unit
	cd web && node scripts/check-dist.mjs
	cd web && E2E_PORTAL_BIN=.build/e2eportal node .build/e2e/run.js

.PHONY: screenshots
screenshots: deps web chromium e2e-portal
	cd web && E2E_PORTAL_BIN=.build/e2eportal $(NPM) run --silent screenshots
