"""End-to-end tests run real processes, runc, mounts and network namespaces: they need root.

Not being root is a failure with a clear message, not a silent skip: CI runs as root.
"""

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _require_root() -> None:
    if os.geteuid() != 0:
        pytest.fail("e2e tests need root (runc, mounts, network namespaces): run `make test` as root",
                    pytrace=False)
