# stack — charts, the stackcheck plugin and the chart test framework.
#
#   make test     every test tier that exists: lint, chart docs, render tests
#   make up       the main job: a kind cluster with the stack installed (air-gapped substrate: issue 5)
#   make bench    render speed: in-process vs `helm template`, same run
#
# Tools are pinned and installed under $(STACK_CACHE)/bin by ci/tools.sh, never into the repo.

SHELL        := /usr/bin/env bash
STACK_CACHE  ?= $(HOME)/.cache/stack
BIN          := $(STACK_CACHE)/bin
export PATH  := $(BIN):$(PATH)
export STACK_CACHE

CHARTS       := common services gateway stack
# Charts with file:// dependencies, in dependency order.
UMBRELLAS    := services gateway stack
GO_TEST      ?= go test -count=1

.PHONY: help tools deps lint lint-helm lint-ct docs test test-unit bench up clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

tools: ## install the pinned tools (helm, helm-docs, ct, nginx, yamllint)
	@ci/tools.sh

deps: tools ## package the file:// dependencies into charts/*/charts (for helm lint/template/install)
	@for c in $(UMBRELLAS); do rm -rf charts/$$c/charts; helm dependency update charts/$$c >/dev/null || exit 1; done
	@echo "dependencies packaged for: $(UMBRELLAS)"

lint-helm: deps
	@for c in $(CHARTS); do \
	  files=$$(ls charts/$$c/ci/*-values.yaml 2>/dev/null); \
	  if [ -z "$$files" ]; then helm lint --strict charts/$$c >/dev/null 2>&1 || { helm lint --strict charts/$$c; exit 1; }; echo "helm lint --strict charts/$$c: ok"; fi; \
	  for f in $$files; do helm lint --strict charts/$$c -f $$f >/dev/null 2>&1 || { helm lint --strict charts/$$c -f $$f; exit 1; }; echo "helm lint --strict charts/$$c -f $$f: ok"; done; \
	done

lint-ct: deps
	@ct lint --config ct.yaml --all >$(STACK_CACHE)/ct-lint.log 2>&1 || { cat $(STACK_CACHE)/ct-lint.log; exit 1; }
	@grep -E '✔|✖' $(STACK_CACHE)/ct-lint.log

lint: lint-helm lint-ct ## helm lint --strict on every chart and values file, then ct lint

docs: tools ## regenerate the chart READMEs from values.yaml (helm-docs)
	helm-docs --chart-search-root charts --template-files README.md.gotmpl --log-level warning

test-unit: tools ## render tier: every chart rendered in-process, no cluster
	$(GO_TEST) ./tests/...

test: lint test-unit ## every test tier that exists today
	@echo "make test: lint and render tiers passed (the kind e2e tier arrives with the air-gapped substrate, issue 5)"

bench: deps ## in-process render vs a helm template subprocess, in the same run
	go test -run '^$$' -bench UmbrellaRender -benchtime 20x ./tests/unit

up: ## create a kind cluster and install the stack (needs the air-gapped kind substrate)
	@echo "make up: not available yet. This machine cannot pull images; the air-gapped kind substrate" >&2
	@echo "(locally built node and workload images, issue 5) is what will create the cluster and install" >&2
	@echo "the stack. Until then, on a cluster that can pull images:" >&2
	@echo "  make deps && helm install stack charts/stack -n stack --create-namespace -f charts/stack/profiles/dev.yaml" >&2
	@exit 2

clean: ## remove packaged dependencies
	rm -rf $(addsuffix /charts,$(addprefix charts/,$(UMBRELLAS)))
