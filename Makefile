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
# The Temporal server the production topology runs (docker-compose.yml,
# deploy/) and `make test-cluster` tests: 1.32.2 needs a newer Go than ours.
TEMPORAL_SERVER_VERSION := v1.32.1
# Renders and lints deploy/helm/openimi in the tests.
HELM_VERSION := v4.3.2
# The Web UI the CLI above serves in `make dev`; docker-compose.yml runs it.
TEMPORAL_UI_VERSION := v2.42.1
# The accessibility checker the browser tests inject into every page.
AXE_CORE_VERSION := 4.11.1

TEMPORAL := $(TOOLS_CACHE)/temporal-$(TEMPORAL_CLI_VERSION)/temporal
MAILPIT := $(TOOLS_CACHE)/mailpit-$(MAILPIT_VERSION)/mailpit
STATICCHECK := $(TOOLS_CACHE)/staticcheck-$(STATICCHECK_VERSION)/staticcheck
TEMPORAL_SERVER_DIR := $(TOOLS_CACHE)/temporal-server-$(TEMPORAL_SERVER_VERSION)
TEMPORAL_SERVER := $(TEMPORAL_SERVER_DIR)/temporal-server
HELM := $(TOOLS_CACHE)/helm-$(HELM_VERSION)/helm
AXE_CORE := $(TOOLS_CACHE)/axe-core-$(AXE_CORE_VERSION)/axe.min.js

GO_TEST_FLAGS ?= -count=1

.PHONY: dev test test-cluster tools cluster-tools build lint fmt clean

## dev: run PostgreSQL, Temporal, Mailpit, migrations, API and worker; data in .data/
dev: tools build
	$(BIN)/openimi dev

## test: run every test against a throw-away PostgreSQL, Temporal and Mailpit
test: tools build $(AXE_CORE)
	@started=$$(date +%s); status=0; \
	OPENIMI_AXE_JS=$(AXE_CORE) $(BIN)/openimi stack -- $(GO) test $(GO_TEST_FLAGS) ./... || status=$$?; \
	echo "make test: $$(( $$(date +%s) - started ))s in all, exit status $$status"; \
	exit $$status

# The end-to-end tests: the HTTP lifecycle, registration, coordination, the
# worker killed mid-lifecycle, the load tool, and the Temporal server itself
# killed mid-lifecycle.
CLUSTER_TESTS := ./api ./cmd/openimi ./system/load ./internal/deploy
CLUSTER_RUN := TestRequest|TestRegistration|TestCoordination|TestOverdue|TestWorker_|TestAPIAndWorker_|TestLoad_Short|TestTemporalServer_|TestHelm_|TestDynamicConfig_

## test-cluster: the end-to-end tests against the Temporal server on PostgreSQL
test-cluster: tools cluster-tools build
	@started=$$(date +%s); status=0; \
	$(BIN)/openimi stack --temporal=server -- $(GO) test $(GO_TEST_FLAGS) $(CLUSTER_TESTS) -run '$(CLUSTER_RUN)' || status=$$?; \
	echo "make test-cluster: $$(( $$(date +%s) - started ))s in all, exit status $$status"; \
	exit $$status

# The revision `openimi version` and openimi_build_info report (the go
# command's own VCS stamping is off on some machines and in worktrees).
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
LDFLAGS := -X github.com/openimi/openimi/internal/observability.linkedRevision=$(REVISION) \
	-X github.com/openimi/openimi/internal/observability.linkedVersion=$(VERSION)

## build: the openimi binary in bin/
build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/openimi ./cmd/openimi

## tools: the pinned Temporal CLI and Mailpit, built once
tools: $(BIN)/temporal $(BIN)/mailpit

## cluster-tools: the pinned Temporal server, its SQL schema tool and helm, built once
cluster-tools: $(BIN)/temporal-server $(BIN)/temporal-sql-tool $(BIN)/helm

$(BIN)/helm: $(HELM)
	@mkdir -p $(BIN) && ln -sf $< $@

$(HELM):
	@echo "building helm $(HELM_VERSION) once (a few minutes the first time)"
	GOBIN=$(dir $@) $(GO) install helm.sh/helm/v4/cmd/helm@$(HELM_VERSION)

$(BIN)/temporal-server: $(TEMPORAL_SERVER)
	@mkdir -p $(BIN) && ln -sf $< $@

$(BIN)/temporal-sql-tool: $(TEMPORAL_SERVER)
	@mkdir -p $(BIN) && ln -sf $(TEMPORAL_SERVER_DIR)/temporal-sql-tool $@

# Both binaries come from one build; go install names them after their
# folders (server, sql), renamed here as Temporal's images name them.
$(TEMPORAL_SERVER):
	@echo "building the Temporal server $(TEMPORAL_SERVER_VERSION) once (about ten minutes of CPU the first time)"
	rm -rf $(TEMPORAL_SERVER_DIR).build
	GOBIN=$(TEMPORAL_SERVER_DIR).build $(GO) install \
		go.temporal.io/server/cmd/server@$(TEMPORAL_SERVER_VERSION) \
		go.temporal.io/server/cmd/tools/sql@$(TEMPORAL_SERVER_VERSION)
	mkdir -p $(TEMPORAL_SERVER_DIR)
	mv $(TEMPORAL_SERVER_DIR).build/sql $(TEMPORAL_SERVER_DIR)/temporal-sql-tool
	mv $(TEMPORAL_SERVER_DIR).build/server $@
	rmdir $(TEMPORAL_SERVER_DIR).build

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
