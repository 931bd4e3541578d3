# stack — charts, the stackcheck plugin and the chart test framework.
#
#   make test     every test tier: lint, render (in-process), e2e (air-gapped kind)
#   make up       the main job: a kind cluster with the stack installed (air-gapped images)
#   make bench    render speed: in-process vs `helm template`, same run
#
# Tools are pinned and installed under $(STACK_CACHE)/bin by ci/tools.sh, never into the repo.

SHELL        := /usr/bin/env bash
STACK_CACHE  ?= $(HOME)/.cache/stack
BIN          := $(STACK_CACHE)/bin
export PATH  := $(BIN):$(PATH)
export STACK_CACHE
# One set of Go build flags for every build `make test` runs (the helm binaries of ci/tools.sh, the
# render/plugin/e2e test binaries, the stackcheck plugin's own build script, the example module):
# the Go build cache keys on them, and a second set recompiled the whole Helm SDK and client-go
# graph (7 min cold for the plugin suite's first `go build`).
export CGO_ENABLED := 0
export GOFLAGS := $(strip $(filter-out -trimpath,$(GOFLAGS)) -trimpath)

CHARTS       := common services gateway mysql redis rabbitmq monitoring cert-issuer stack
# Charts with file:// dependencies, in dependency order.
UMBRELLAS    := services gateway mysql redis rabbitmq monitoring cert-issuer stack
GO_TEST      ?= go test -count=1
# How many e2e suites run at once (each in its own namespaces; the dev profile requests ~0.25 CPU,
# the node's control plane and add-ons ~1 of 2). The parallel failures of the past (a pod Ready
# before the NetworkPolicy enforcer had programmed its address) are gone at the cause: the suites
# wait on the enforcer's state (tests/kube.PolicyProgrammed). Two, not three: with three umbrellas
# (and a fourth tearing down) on the 2-core node the run queue stayed at 25-40, and CI saw a
# canary's 502s past the 10 s preStop (Service rules updated late) and port-forward timeouts.
# 1 runs them one after another.
E2E_PARALLEL ?= 2

# unless_in_test PREREQS: the prerequisites of a tier run alone; within `make test` (IN_TEST) the
# tiers tools, images and deps already ran and are not run again per tier.
unless_in_test = $(if $(IN_TEST),,$(1))

.PHONY: help tools deps lint lint-helm lint-ct docs test test-unit test-e2e test-e2e-ha test-examples bench bench-ready bench-preflight images up down clean plugin plugin-dist package release-record bench-transport

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

tools: ## install the pinned tools (helm, helm-docs, ct, nginx, yamllint)
	@ci/tools.sh

deps: tools ## package the file:// dependencies into charts/*/charts (for helm lint/template/install)
	@for c in $(UMBRELLAS); do rm -rf charts/$$c/charts; helm dependency update charts/$$c >/dev/null || exit 1; done
	@echo "dependencies packaged for: $(UMBRELLAS)"

lint-helm: $(call unless_in_test,deps)
	@for c in $(CHARTS); do \
	  files=$$(ls charts/$$c/ci/*-values.yaml 2>/dev/null); \
	  if [ -z "$$files" ]; then helm lint --strict charts/$$c >/dev/null 2>&1 || { helm lint --strict charts/$$c; exit 1; }; echo "helm lint --strict charts/$$c: ok"; fi; \
	  for f in $$files; do helm lint --strict charts/$$c -f $$f >/dev/null 2>&1 || { helm lint --strict charts/$$c -f $$f; exit 1; }; \
	    helm template lint charts/$$c -f $$f >/dev/null || exit 1; echo "helm lint --strict + helm template charts/$$c -f $$f: ok"; done; \
	done

lint-ct: $(call unless_in_test,deps)
	@ct lint --config ct.yaml --all >$(STACK_CACHE)/ct-lint.log 2>&1 || { cat $(STACK_CACHE)/ct-lint.log; exit 1; }
	@grep -E '✔|✖' $(STACK_CACHE)/ct-lint.log

lint: lint-helm lint-ct ## helm lint --strict and helm template (lint passes a failing template) on every chart and values file, then ct lint

docs: tools ## regenerate the chart READMEs from values.yaml (helm-docs)
	helm-docs --chart-search-root charts --template-files README.md.gotmpl --log-level warning

test-unit: $(call unless_in_test,tools) ## render tier: every chart rendered in-process, no cluster; the plugin's unit tests (client-go fakes)
	$(GO_TEST) ./tests/... ./internal/... ./plugin/... ./ci/junit/... ./ci/timings/... ./ci/machine/...

# The tiers of `make test`, in order, each timed (tools and images are the cold build steps when
# nothing is cached, seconds otherwise).
TIERS := tools images deps lint test-unit test-e2e test-examples test-e2e-ha

test: ## every tier: lint, render, e2e in kind, the framework's example module; ends with a table of wall times
	@mkdir -p $(STACK_CACHE) && go run ./ci/machine
	@start=$$(date +%s); rc=0; \
	for tier in $(TIERS); do \
	  t=$$(date +%s); $(MAKE) --no-print-directory IN_TEST=1 $$tier; rc=$$?; \
	  printf '%s\ttier\t%s\t%s\t%s\n' "$$(date +%s)" "$$tier" "$$(( $$(date +%s) - t ))" "$$([ $$rc = 0 ] && echo pass || echo fail)" >>$(STACK_CACHE)/timings.tsv; \
	  [ $$rc = 0 ] || break; \
	done; \
	go run ./ci/timings -file $(STACK_CACHE)/timings.tsv -e2e $(STACK_CACHE)/e2e.json -since $$start; \
	[ $$rc = 0 ] && echo "make test: every tier passed in $$(( $$(date +%s) - start ))s"; exit $$rc

test-examples: ## the framework used from another module (examples/hello-chart): its render tests and its kind test on the e2e cluster, one build
	cd examples/hello-chart && HELLO_KIND_CLUSTER=stack-e2e HELLO_CLIENT_IMAGE=stack.local/busybox:1.35.0 HELLO_DOCKER_WRAPPER_DIR=$(CURDIR)/ci/substrate/wrapper \
	  HELLO_IMAGE=$$(awk '$$1 == "podinfo" {print $$2}' $(STACK_CACHE)/substrate/workload-images.txt) $(GO_TEST) -tags e2e -v -run . ./... | grep -E '^(=== RUN|--- |ok|FAIL|PASS)|_test.go'; exit $${PIPESTATUS[0]}

bench: deps ## in-process render vs a helm template subprocess, in the same run
	go test -run '^$$' -bench UmbrellaRender -benchtime 20x ./tests/unit

images: ## build the air-gapped substrate: node image, control-plane and workload images (cached)
	@ci/substrate/build.sh

up: tools images deps ## the main job: create (or reuse) the kind cluster and install the stack (dev profile)
	go run ./ci/up $(UP_ARGS)

down: ## delete the kind clusters of `make up` and of the e2e suites
	go run ./ci/up -delete -cluster stack
	go run ./ci/up -delete -cluster stack-e2e

test-e2e: $(call unless_in_test,tools images deps) ## e2e tier: install into kind and assert behaviour (build tag e2e); JUnit in $(STACK_CACHE)/e2e-junit.xml
	@[ ! -s $(STACK_CACHE)/e2e.json ] || cp $(STACK_CACHE)/e2e.json $(STACK_CACHE)/e2e.prev.json
	STACK_E2E_PARALLEL=$(E2E_PARALLEL) STACK_E2E_PREVIOUS=$(STACK_CACHE)/e2e.prev.json \
	  $(GO_TEST) -json -tags e2e -timeout 60m -parallel 64 -skip '^TestHA' ./tests/e2e 2>&1 | tee $(STACK_CACHE)/e2e.json \
	  | go run ./ci/junit -out $(STACK_CACHE)/e2e-junit.xml -filter '^(=== RUN|--- |PASS|FAIL|ok|\[e2e|\[cluster|    [a-z_]+_test.go)'; \
	  s=("$${PIPESTATUS[@]}"); [ "$${s[0]}" = 0 ] && [ "$${s[2]}" = 0 ]

# The multi-node phase: the prod profile on a control plane and three workers in zones a, b and c
# (the suites TestHA*, on their own kind cluster stack-e2e-ha; the single-node cluster is deleted
# first and the single-node phase deletes this one: both do not fit two cores at once).
test-e2e-ha: $(call unless_in_test,tools images deps) ## multi-node tier: the prod profile on 3 zoned workers (drain, node loss); JUnit in $(STACK_CACHE)/e2e-ha-junit.xml
	STACK_E2E_HA=1 $(GO_TEST) -json -tags e2e -timeout 60m -run '^TestHA' ./tests/e2e 2>&1 | tee $(STACK_CACHE)/e2e-ha.json \
	  | go run ./ci/junit -out $(STACK_CACHE)/e2e-ha-junit.xml -filter '^(=== RUN|--- |PASS|FAIL|ok|\[e2e|\[cluster|    [a-z_]+_test.go)'; \
	  s=("$${PIPESTATUS[@]}"); [ "$${s[0]}" = 0 ] && [ "$${s[2]}" = 0 ]

bench-transport: tools images deps ## the release's images into the node by side-load and by pull from the air-gapped registry, same run (the registry suite)
	STACK_BENCH_TRANSPORT=1 $(GO_TEST) -tags e2e -v -timeout 30m -run 'TestTheUmbrellaFromAnOCIRegistryWithItsImages$$' ./tests/e2e | grep -E 'registry: |^(--- |ok|FAIL)'

bench-ready: tools images deps ## install-to-up of mysql, redis and rabbitmq alone and of the umbrella (dev profile), one after another on the e2e cluster
	$(GO_TEST) -tags bench -v -timeout 30m ./tests/bench | grep -vE '^(=== RUN|--- PASS)'

bench-preflight: tools ## stackcheck preflight vs troubleshoot preflight on the e2e cluster, same run
	@ci/bench-preflight.sh

# Helm names a plugin installed from a directory after the directory: install from a link named
# stackcheck. Helm 3 cannot `plugin update` a directory install, so this reinstalls (and rebuilds).
plugin: tools ## (re)install the stackcheck plugin into helm and helm4 from this checkout (builds it with Go)
	@mkdir -p $(STACK_CACHE)/plugin-src && ln -sfn $(CURDIR)/plugin $(STACK_CACHE)/plugin-src/stackcheck
	@for h in helm helm4; do $$h plugin uninstall stackcheck >/dev/null 2>&1 || true; $$h plugin install $(STACK_CACHE)/plugin-src/stackcheck || exit 1; done

plugin-dist: tools ## the stackcheck plugin as release archives per platform, with checksums (and Helm 4 signed packages with PLUGIN_SIGN_KEY)
	@ci/plugin-dist.sh

package: deps ## every chart packaged, signed (SIGN_KEY/KEYRING, else a development key) and verified; PUSH=oci://HOST/PATH pushes them
	@ci/package.sh

release-record: ## after a release is pushed: record each chart's version and source digest in charts/releases.yaml
	@go run ./ci/chartrelease record

clean: ## remove packaged dependencies
	rm -rf $(addsuffix /charts,$(addprefix charts/,$(UMBRELLAS)))
