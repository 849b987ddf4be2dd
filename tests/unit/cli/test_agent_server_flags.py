"""``kubelite agent --server URL --token T``: the client config it builds, and one-line errors for the
combinations that cannot work."""

import argparse
from pathlib import Path

import pytest

from kubelite.cli.agent import add_arguments, client_config
from kubelite.cli.errors import CLIError

pytestmark = pytest.mark.unit


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_server_token_and_ca_make_the_client_config(tmp_path: Path) -> None:
    ca = tmp_path / "ca.crt"
    ca.write_bytes(b"-----BEGIN CERTIFICATE-----\n")
    config = client_config(_args("--server", "https://10.0.0.1:6443/", "--token", "t0k",
                                 "--certificate-authority", str(ca)))
    assert config is not None
    assert (config.server, config.token, config.ca_data) == ("https://10.0.0.1:6443", "t0k", ca.read_bytes())
    assert not config.insecure_skip_tls_verify
    insecure = client_config(_args("--server", "https://h:6443", "--token", "t", "--insecure-skip-tls-verify"))
    assert insecure is not None and insecure.insecure_skip_tls_verify and insecure.ca_data is None
    plain = client_config(_args("--server", "http://127.0.0.1:8080", "--token", "t"))
    assert plain is not None and plain.server == "http://127.0.0.1:8080"
    assert client_config(_args("--kubeconfig", "/k")) is None


@pytest.mark.parametrize(("argv", "message"), [
    (("--server", "https://h:6443"), "--server needs --token (or use --kubeconfig)"),
    (("--server", "h:6443", "--token", "t"), "--server: 'h:6443' is not an http(s) URL"),
    (("--server", "https://h:6443", "--token", "t"),
     "--server over https needs --certificate-authority (or --insecure-skip-tls-verify)"),
    (("--token", "t"), "--token and --certificate-authority go with --server"),
    (("--server", "https://h", "--token", "t", "--certificate-authority", "/nonexistent/ca.crt"),
     "--certificate-authority: No such file or directory: /nonexistent/ca.crt"),
])
def test_bad_combinations_are_one_line(argv: tuple[str, ...], message: str) -> None:
    with pytest.raises(CLIError) as err:
        client_config(_args(*argv))
    assert str(err.value) == message
