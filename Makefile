# kubelite: the two commands a new machine needs are `make up` and `make test` (see README.md).
# Both work on a fresh Debian 12 as root: they install system packages with apt-get, a virtualenv
# with kubelite in it, and then do their job. Installs are stamped so that repeated runs are quick.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
export DEBIAN_FRONTEND := noninteractive

# What the cluster and engine need on a node.
RUNTIME_PKGS := runc conmon nftables iproute2 busybox-static mmdebstrap ca-certificates kmod procps
# What the tests add: a real etcd, skopeo as a real registry client, the browser for the dashboard.
TEST_PKGS := etcd-server etcd-client skopeo chromium chromium-driver

.PHONY: up test lint bench sysdeps-runtime sysdeps-test venv venv-dev clean

up: sysdeps-runtime venv
	@ln -sf $(CURDIR)/$(BIN)/kubelite /usr/local/bin/kubelite 2>/dev/null || true
	$(BIN)/kubelite up

test: sysdeps-runtime sysdeps-test venv-dev
	$(MAKE) --no-print-directory lint
	$(BIN)/pytest tests/unit tests/integration tests/e2e

lint: venv-dev
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: sysdeps-runtime sysdeps-test venv-dev
	$(BIN)/python -m bench $(ONLY)

# apt-get runs only when a package is missing, so a prepared machine skips the network entirely.
sysdeps-runtime:
	@./scripts/apt-ensure $(RUNTIME_PKGS)

sysdeps-test:
	@./scripts/apt-ensure $(TEST_PKGS)

venv: $(STAMPS)/venv
venv-dev: $(STAMPS)/venv-dev

$(STAMPS)/venv: pyproject.toml
	@./scripts/python-ensure "$(PYTHON)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/venv-dev: pyproject.toml $(STAMPS)/venv
	$(BIN)/pip install -q -e '.[dev]'
	@mkdir -p $(STAMPS) && touch $@

clean:
	rm -rf $(VENV) $(STAMPS) .mypy_cache .ruff_cache .pytest_cache
