"""``kubelite registry serve|gc``: run the image registry, or reclaim blobs nothing references."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import signal
from pathlib import Path

from kubelite.cli.errors import CLIError

log = logging.getLogger("kubelite.registry")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    serve = sub.add_parser("serve", help="serve the OCI distribution API")
    serve.add_argument("--addr", default="127.0.0.1:5000", help="host:port to listen on")
    serve.add_argument("--root", dest="registry_root", default=None,
                       help="registry storage directory (default <kubelite root>/registry)")
    serve.add_argument("--tls-cert", type=Path)
    serve.add_argument("--tls-key", type=Path)
    serve.add_argument("--htpasswd", type=Path, help="bcrypt htpasswd file: require these users")
    serve.add_argument("--token-realm", help="enable bearer-token auth; the realm URL clients fetch "
                       "tokens from (this server answers at /token)")
    serve.add_argument("--token-service", default="kubelite-registry")
    serve.add_argument("--max-manifest-size", type=int, default=None)
    serve.add_argument("--no-delete", action="store_true", help="refuse manifest and blob deletes")
    gc = sub.add_parser("gc", help="delete blobs no manifest references")
    gc.add_argument("--root", dest="registry_root", default=None)
    gc.add_argument("--delete-untagged", action="store_true",
                    help="also drop manifests no tag reaches")
    gc.add_argument("--grace", type=float, default=0.0,
                    help="spare blobs written in the last N seconds (pushes in flight)")
    gc.add_argument("--dry-run", action="store_true")


def _root(args: argparse.Namespace) -> Path:
    return Path(args.registry_root) if args.registry_root else Path(args.root) / "registry"


def _parse_addr(addr: str) -> tuple[str, int]:
    host, sep, port = addr.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise CLIError(f"--addr must be host:port, got {addr!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _serve(args: argparse.Namespace) -> int:
    from kubelite.distribution.manifests import MAX_MANIFEST_SIZE
    from kubelite.distribution.server.app import serve
    from kubelite.distribution.server.auth import HtpasswdError
    from kubelite.distribution.server.config import ServerConfig

    host, port = _parse_addr(args.addr)
    if bool(args.tls_cert) != bool(args.tls_key):
        raise CLIError("--tls-cert and --tls-key go together")
    for f in (args.tls_cert, args.tls_key, args.htpasswd):
        if f is not None and not f.is_file():
            raise CLIError(f"no such file: {f}")
    config = ServerConfig(root=_root(args), host=host, port=port, tls_cert=args.tls_cert,
                          tls_key=args.tls_key, htpasswd=args.htpasswd, token_realm=args.token_realm,
                          token_service=args.token_service,
                          max_manifest_size=args.max_manifest_size or MAX_MANIFEST_SIZE,
                          delete_enabled=not args.no_delete)
    if not _is_loopback(host) and not (args.htpasswd or args.token_realm):
        log.warning("registry listens beyond loopback without auth: anyone can push",
                    extra={"addr": args.addr})

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(config, stop=stop)

    try:
        asyncio.run(main())
    except HtpasswdError as err:
        raise CLIError(str(err)) from None
    except OSError as err:
        raise CLIError(f"cannot serve on {args.addr}: {err.strerror or err}") from None
    return 0


def _gc(args: argparse.Namespace) -> int:
    from kubelite.distribution.server.gc import collect
    from kubelite.distribution.server.storage import Storage

    root = _root(args)
    if not (root / "blobs").is_dir():
        raise CLIError(f"{root} is not a registry root (no blobs/ directory)")
    report = collect(Storage(root), delete_untagged=args.delete_untagged, grace=args.grace,
                     dry_run=args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    for name in report.revisions_deleted:
        print(f"{verb} manifest {name}")
    for digest in report.blobs_deleted:
        print(f"{verb} blob {digest}")
    print(f"{report.marked} blobs in use; {verb} {len(report.blobs_deleted)} blobs "
          f"({report.bytes_freed} bytes), {report.uploads_deleted} stale uploads")
    return 0


def run(args: argparse.Namespace) -> int:
    return _serve(args) if args.action == "serve" else _gc(args)
