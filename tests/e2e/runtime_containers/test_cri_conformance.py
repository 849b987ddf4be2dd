"""The real engine (runc, conmon, pinned sandbox namespaces, bridge) against the runtime conformance suite."""

from collections.abc import Iterator

import pytest

from kubelite.runtime.cri import EngineRuntime
from kubelite.runtime.lifecycle import Engine
from kubelite.testing.runtime_conformance import RuntimeConformance

pytestmark = pytest.mark.e2e


@pytest.fixture
def runtime(engine: Engine) -> Iterator[EngineRuntime]:
    from kubelite.runtime.sandbox import SandboxStore, remove_sandbox

    rt = EngineRuntime(engine)
    try:
        yield rt
    finally:
        for sb in SandboxStore(engine.root).all():
            rt.remove_pod_sandbox(sb.id)
        for ctr in list(engine.store.all()):
            engine.remove(ctr.id, force=True)
        for sb in SandboxStore(engine.root).all():
            remove_sandbox(engine, sb.id)


class TestEngineRuntime(RuntimeConformance):
    pass
