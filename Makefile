# OpenIMI's two commands: `make dev` runs the whole system, `make test` runs
# every test. Both build what they need first.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
# This machine's Go never downloads another toolchain.
export GOTOOLCHAIN := local

BIN := $(CURDIR)/bin
# Tools are built once per version into a cache shared by every checkout of
# the project on this machine, then linked into bin/.
TOOLS_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/openimi/tools

TEMPORAL_CLI_VERSION := v1.5.1
MAILPIT_VERSION := v1.33.1
STATICCHECK_VERSION := v0.8.2
# The accessibility checker the browser tests inject into every page.
AXE_CORE_VERSION := 4.11.1

TEMPORAL := $(TOOLS_CACHE)/temporal-$(TEMPORAL_CLI_VERSION)/temporal
MAILPIT := $(TOOLS_CACHE)/mailpit-$(MAILPIT_VERSION)/mailpit
STATICCHECK := $(TOOLS_CACHE)/staticcheck-$(STATICCHECK_VERSION)/staticcheck
AXE_CORE := $(TOOLS_CACHE)/axe-core-$(AXE_CORE_VERSION)/axe.min.js

GO_TEST_FLAGS ?= -count=1

.PHONY: dev test tools build lint fmt clean

## dev: run PostgreSQL, Temporal, Mailpit, migrations, API and worker; data in .data/
dev: tools build
	$(BIN)/openimi dev

## test: run every test against a throw-away PostgreSQL, Temporal and Mailpit
test: tools build $(AXE_CORE)
	@started=$$(date +%s); status=0; \
	OPENIMI_AXE_JS=$(AXE_CORE) $(BIN)/openimi stack -- $(GO) test $(GO_TEST_FLAGS) ./... || status=$$?; \
	echo "make test: $$(( $$(date +%s) - started ))s in all, exit status $$status"; \
	exit $$status

## build: the openimi binary in bin/
build:
	$(GO) build -o $(BIN)/openimi ./cmd/openimi

## tools: the pinned Temporal CLI and Mailpit, built once
tools: $(BIN)/temporal $(BIN)/mailpit

$(BIN)/temporal: $(TEMPORAL)
	@mkdir -p $(BIN) && ln -sf $< $@

$(BIN)/mailpit: $(MAILPIT)
	@mkdir -p $(BIN) && ln -sf $< $@

$(TEMPORAL):
	@echo "building the Temporal CLI $(TEMPORAL_CLI_VERSION) once (a few minutes the first time)"
	GOBIN=$(dir $@) $(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION)

$(MAILPIT):
	@echo "building Mailpit $(MAILPIT_VERSION) once (about a minute the first time)"
	GOBIN=$(dir $@) $(GO) install github.com/axllent/mailpit@$(MAILPIT_VERSION)

$(AXE_CORE):
	@echo "fetching axe-core $(AXE_CORE_VERSION) once, for the browser tests"
	@tmp=$$(mktemp -d); \
	(cd $$tmp && npm pack --silent axe-core@$(AXE_CORE_VERSION) >/dev/null && tar xzf axe-core-$(AXE_CORE_VERSION).tgz package/axe.min.js); \
	mkdir -p $(dir $@) && mv $$tmp/package/axe.min.js $@; rm -rf $$tmp

$(STATICCHECK):
	GOBIN=$(dir $@) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

## lint: gofmt, go vet, staticcheck and the OpenAPI document's strict lint
lint: $(STATICCHECK)
	@unformatted=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	$(GO) test ./api -run '^TestOpenAPI_DocumentPassesTheStrictLint$$' -count=1

clean:
	rm -rf $(BIN)
