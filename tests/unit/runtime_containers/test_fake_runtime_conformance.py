"""The fake runtime against the runtime conformance suite (the same one the real engine passes)."""

from collections.abc import Iterator

import pytest

from kubelite.testing.fake_runtime import FakeRuntime
from kubelite.testing.runtime_conformance import RuntimeConformance

pytestmark = pytest.mark.unit


@pytest.fixture
def runtime(tmp_path: object) -> Iterator[FakeRuntime]:
    yield FakeRuntime({"busybox": {"Cmd": ["sh"], "Env": ["PATH=/bin"]}}, log_dir=str(tmp_path))


class TestFakeRuntime(RuntimeConformance):
    pass
