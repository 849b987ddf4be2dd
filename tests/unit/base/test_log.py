import io
import logging

import pytest

from kubelite.base.log import FieldFormatter, setup_logging

pytestmark = pytest.mark.unit


def test_fields_are_appended_and_secrets_redacted() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(FieldFormatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("kubelite.test.fields")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("pod started", extra={"pod": "default/web", "token": "s3cr3t", "reason": "a b"})
    finally:
        logger.removeHandler(handler)
    line = stream.getvalue().strip()
    assert line.startswith("WARNING pod started")
    assert "pod=default/web" in line
    assert "token=<redacted>" in line and "s3cr3t" not in line
    assert "reason='a b'" in line


def test_setup_logging_installs_one_handler() -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        setup_logging(stream=io.StringIO())
        setup_logging(debug=True, stream=io.StringIO())
        ours = [h for h in root.handlers if getattr(h, "_kubelite", False)]
        assert len(ours) == 1
        assert root.level == logging.DEBUG
    finally:
        for h in list(root.handlers):
            if h not in before:
                root.removeHandler(h)
