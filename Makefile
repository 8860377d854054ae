# iac.proxmox: make demo (see it work), make test (everything CI runs).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BUILD := build
COLLECTIONS := $(BUILD)/collections
TREE := $(BUILD)/tree/ansible_collections/iac/proxmox
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/$(COLLECTIONS)
export ANSIBLE_LOCAL_TEMP := $(CURDIR)/$(BUILD)/ansible-tmp
export ANSIBLE_HOME := $(CURDIR)/$(BUILD)/ansible-home
# Tests run on 2 cores; more workers only queue behind each other.
PYTEST_WORKERS ?= 2

.PHONY: help venv collection demo lab bench test unit labtests integration tree sanity docs keys docs-check changelog-lint ee lint \
	molecule acceptance acceptance-settings clean

help:
	@echo "make demo   - set up, start the PVE lab, run playbooks/site.yml twice against it, stop the lab"
	@echo "make test   - unit, lab and integration tests, ansible-test sanity, ansible-lint, the demo"
	@echo "make lab    - run the PVE lab in the foreground (writes .lab/connection.json)"
	@echo "make bench  - the fleet benchmark against community.proxmox (results in bench/results/)"
	@echo "make acceptance - the acceptance suite against the real cluster in PROXMOX_* (docs/real-cluster.md)"

$(STAMP): requirements/dev.in requirements/constraints.txt
	@echo "==> installing the pinned dependencies into $(VENV) (first run only, about a minute)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c requirements/constraints.txt -r requirements/dev.in
	touch $(STAMP)

venv: $(STAMP)

# Build the collection tarball and install it, as a user would.
collection: $(STAMP)
	rm -rf $(COLLECTIONS) $(BUILD)/dist
	$(VENV)/bin/ansible-galaxy collection build --force --output-path $(BUILD)/dist >/dev/null
	$(VENV)/bin/ansible-galaxy collection install --force -p $(COLLECTIONS) $(BUILD)/dist/iac-proxmox-*.tar.gz >/dev/null
	@echo "installed $$(ls $(BUILD)/dist) into $(COLLECTIONS)"

demo: collection
	$(PY) tests/lab/demo.py

lab: $(STAMP)
	$(PY) tests/lab/serve.py --state-dir .lab

test: unit labtests integration sanity lint docs-check changelog-lint ee molecule demo

# Plain logic, no lab and no network; the collection is imported from the checkout (tests/conftest.py).
unit: $(STAMP)
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) tests/unit

# The lab's own behaviour against PVE's sources (not `make lab`, which serves the lab).
labtests: $(STAMP)
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) tests/lab

# The client and real ansible-playbook runs against the lab, with the collection installed as a user would.
integration: collection
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) tests/integration

# ansible-test and antsibull-docs want the collection at .../ansible_collections/iac/proxmox: copy the tracked
# tree there. The copy is its own git repository, so ansible-test lists its files (build/ is ignored by ours).
tree: $(STAMP)
	rm -rf $(BUILD)/tree
	mkdir -p $(TREE)
	git ls-files --cached --others --exclude-standard | while read -r f; do [ -e "$$f" ] && echo "$$f"; done \
		| tr '\n' '\0' | xargs -0 cp --parents -t $(TREE)
	cd $(TREE) && git init -q && git add -A

sanity: tree
	$(PY) tests/tools/pip_bootstrap.py install $(CURDIR)/$(BUILD)/home
	cd $(TREE) && HOME=$(CURDIR)/$(BUILD)/home $(CURDIR)/$(VENV)/bin/ansible-test sanity --venv \
		--python 3.11 --color no

# The reference docs in docs/reference are generated from the plugins' own documentation.
docs: collection
	rm -rf docs/reference
	mkdir -p docs/reference
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH antsibull-docs collection --use-current --dest-dir docs/reference \
		iac.proxmox >/dev/null

# The committed reference docs are what the current sources generate, and the docs lint clean.
keys:
	$(PY) tests/tools/keys_md.py

docs-check: collection tree
	rm -rf $(BUILD)/docs-check
	mkdir -p $(BUILD)/docs-check
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH antsibull-docs collection --use-current --dest-dir $(BUILD)/docs-check \
		iac.proxmox >/dev/null
	diff -r docs/reference $(BUILD)/docs-check || (echo "docs/reference is stale: run make docs" && exit 1)
	cd $(TREE) && PATH=$(CURDIR)/$(VENV)/bin:$$PATH ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/$(BUILD)/tree \
		antsibull-docs lint-collection-docs --plugin-docs .

# The execution environment definition builds a context (no container engine needed for create).
ee: $(STAMP)
	rm -rf $(BUILD)/ee
	$(VENV)/bin/ansible-builder create -f meta/execution-environment.yml --context $(BUILD)/ee \
		--output-filename Containerfile >/dev/null
	test -f $(BUILD)/ee/Containerfile && grep -q ca-certificates $(BUILD)/ee/_build/bindep.txt
	grep -q "^proxmoxer" $(BUILD)/ee/_build/requirements.txt && grep -q "^requests" $(BUILD)/ee/_build/requirements.txt
	@echo "ansible-builder create: $(BUILD)/ee/Containerfile"

changelog-lint: $(STAMP)
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH antsibull-changelog lint

lint: $(STAMP)
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH ansible-lint --profile production --offline

# The molecule scenarios (extensions/molecule/) start their own lab; molecule needs the venv on PATH.
molecule: collection
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH NO_COLOR=1 molecule test --all

# The acceptance suite against a real cluster (not part of make test; tests/integration/test_acceptance.py runs
# it against the lab): the cluster comes from the PROXMOX_* environment, the settings from ACCEPTANCE_VARS.
ACCEPTANCE_VARS ?= tests/acceptance/vars.yml
ACCEPTANCE_ARGS ?=

acceptance: acceptance-settings collection
	$(VENV)/bin/ansible-playbook -i tests/acceptance/inventory.yml tests/acceptance/acceptance.yml \
		-e @$(ACCEPTANCE_VARS) $(ACCEPTANCE_ARGS)

acceptance-settings:
	@test -f "$(ACCEPTANCE_VARS)" || { echo "make acceptance: no settings file $(ACCEPTANCE_VARS). Copy \
	tests/acceptance/vars.example.yml to $(ACCEPTANCE_VARS) and edit it for your cluster (or pass \
	ACCEPTANCE_VARS=path); see docs/real-cluster.md." >&2; exit 2; }

# The benchmark (not part of make test): its own venv with community.proxmox to compare against.
BENCH_VENV := $(BUILD)/bench-venv
BENCH_STAMP := $(BENCH_VENV)/.installed
BENCH_ARGS ?=

$(BENCH_STAMP): requirements/bench.in requirements/dev.in requirements/constraints.txt
	@echo "==> installing the benchmark environment into $(BENCH_VENV) (first run only)"
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet -c requirements/constraints.txt -r requirements/bench.in
	touch $(BENCH_STAMP)

bench: collection $(BENCH_STAMP)
	$(BENCH_VENV)/bin/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(BUILD) .lab .pytest_cache
