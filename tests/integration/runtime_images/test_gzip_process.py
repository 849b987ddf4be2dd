"""The opt-in unpack path whose gzip runs in a ``gzip -dc`` process gives the same results and errors
as the inline one (it starts a process, so it lives in the integration tier)."""

import pytest

from tests.unit.runtime_images import test_layers

pytestmark = pytest.mark.integration


def test_digests_and_files_with_a_gzip_process(tmp_path) -> None:
    test_layers.test_unpack_digests_and_files(tmp_path, threads=True)


def test_truncated_and_garbage_with_a_gzip_process(tmp_path) -> None:
    test_layers.test_truncated_gzip_is_refused(tmp_path, threads=True)
