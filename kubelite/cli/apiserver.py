"""``kubelite apiserver``: run only the Kubernetes API server in the foreground."""

from __future__ import annotations

import argparse
from pathlib import Path

from kubelite.cli.errors import CLIError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", required=True,
                        help="state directory (PKI, kubeconfig, SQLite database)")
    parser.add_argument("--listen", default="127.0.0.1:6443", help="ADDR:PORT to serve HTTPS on")
    parser.add_argument("--datastore-endpoint", default="",
                        help="storage URL: sqlite:///PATH (default DATA_DIR/state.db), "
                             "etcd://HOST:PORT, memory://")
    parser.add_argument("--tls-san", action="append", default=[],
                        help="another name or IP the serving certificate covers (repeatable); the --listen "
                             "address is always covered")
    parser.add_argument("--max-requests-inflight", type=int, default=400,
                        help="non-watch requests served at once; more get 429")


def parse_listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise CLIError(f"--listen must be ADDR:PORT, not {value!r}")
    return (host.strip("[]") or "0.0.0.0"), int(port)


def build_config(args: argparse.Namespace) -> object:
    from kubelite.apiserver.config import ApiServerConfig
    from kubelite.apiserver.context import Limits
    from kubelite.daemons.apiserver import ServerConfig, default_datastore

    data_dir = Path(args.data_dir).resolve()
    host, port = parse_listen(args.listen)
    if args.max_requests_inflight < 1:
        raise CLIError("--max-requests-inflight must be at least 1")
    # A specific listen address is how clients will reach the server (nodes in other namespaces or on
    # other hosts), so the certificate must name it.
    sans = tuple(getattr(args, "tls_san", []) or []) + (() if host in ("0.0.0.0", "::") else (host,))
    api = ApiServerConfig(data_dir=data_dir, host=host, port=port, extra_sans=sans,
                          limits=Limits(max_in_flight=args.max_requests_inflight))
    return ServerConfig(apiserver=api, datastore=args.datastore_endpoint or default_datastore(data_dir))


def run(args: argparse.Namespace) -> int:
    import asyncio

    from kubelite.daemons.apiserver import ServerConfig, run_apiserver

    config = build_config(args)
    assert isinstance(config, ServerConfig)
    from kubelite.base.tasks import ChildFailedError
    from kubelite.storage.interface import StorageError

    try:
        asyncio.run(run_apiserver(config))
    except (ValueError, StorageError) as err:
        raise CLIError(str(err)) from None
    except ChildFailedError as err:
        cause: BaseException = err
        while isinstance(cause, ChildFailedError) and cause.__cause__ is not None:
            cause = cause.__cause__  # the innermost failure is the one worth showing
        if isinstance(cause, OSError) and cause.errno == 98:
            raise CLIError(f"cannot serve on {args.listen}: address already in use") from None
        raise CLIError(f"the API server stopped: {cause}") from None
    except OSError as err:
        raise CLIError(f"cannot serve on {args.listen}: {err.strerror or err}") from None
    return 0
