"""``kubelite image bootstrap|ls|rm|inspect|prune``, and the helpers the other image verbs share.

The image verbs (``images``, ``tag``, ``rmi``, ``save``, ``load``, ``import``) print what Docker
prints, so a docker user's fingers and scripts just work: the same columns, human sizes and ages,
``Untagged:``/``Deleted:`` lines. Every engine error becomes one ``Error: ...`` line
(:func:`image_errors`), never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from kubelite.cli.errors import CLIError

if TYPE_CHECKING:
    from kubelite.oci.reference import Reference
    from kubelite.runtime.images import Image


@contextlib.contextmanager
def image_errors() -> Iterator[None]:
    """Translate the image side's closed error vocabulary into one-line CLI errors."""
    from kubelite.oci.errors import OCIError
    from kubelite.runtime.content import ContentError
    from kubelite.runtime.images import ImageError
    from kubelite.runtime.layers import LayerError
    from kubelite.runtime.lock import LockTimeoutError
    from kubelite.runtime.snapshots import SnapshotError

    try:
        yield
    except (ImageError, OCIError, LayerError, ContentError, SnapshotError, LockTimeoutError) as err:
        raise CLIError(str(err)) from None
    except ValueError as err:  # ArchiveError, BootstrapError and friends are ValueErrors too
        raise CLIError(str(err)) from None
    except PermissionError as err:
        raise CLIError(f"permission denied: {err.filename or err} (the engine needs root)") from None
    except FileNotFoundError as err:
        raise CLIError(f"open {err.filename}: no such file or directory") from None
    except IsADirectoryError as err:
        raise CLIError(f"{err.filename}: is a directory") from None
    except OSError as err:
        raise CLIError(f"{err.strerror or err}{': ' + str(err.filename) if err.filename else ''}") from None


def human_size(size: float) -> str:
    """Docker's ``HumanSizeWithPrecision(size, 3)``: decimal units, three significant digits."""
    units = ("B", "kB", "MB", "GB", "TB", "PB")
    i = 0
    while size >= 1000 and i < len(units) - 1:
        size /= 1000.0
        i += 1
    return f"{size:.3g}{units[i]}"


def parse_time(text: str) -> float | None:
    """Seconds since the epoch of an RFC 3339 time (fractions and offsets allowed), or None."""
    from datetime import datetime

    if not text:
        return None
    t = text.strip()
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    if "." in t:  # Go writes nanoseconds; Python parses at most microseconds
        head, _, rest = t.partition(".")
        digits = "".join(c for c in rest if c.isdigit())
        t = head + "." + digits[:6].ljust(6, "0") + rest[len(digits):]
    try:
        return datetime.fromisoformat(t).timestamp()
    except ValueError:
        return None


def created_ago(image: Image, now: float | None = None) -> str:
    ts = parse_time(image.created)
    if ts is None:
        return "N/A"
    from kubelite.runtime.inspect_json import human_duration  # Docker's wording, shared with `ps`

    return human_duration(max(0.0, (now or time.time()) - ts)) + " ago"


def table(rows: list[list[str]]) -> str:
    """Columns padded as Docker's tabwriter does (minimum gap of three spaces)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("   ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)


# ---------------------------------------------------------------------------------------------------
# ls (also ``kubelite images``)


def add_ls_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("repository", nargs="?", help="only images of this REPOSITORY[:TAG]")
    parser.add_argument("-a", "--all", action="store_true", help="show all images (default hides none)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only display image IDs")
    parser.add_argument("--no-trunc", action="store_true", help="don't truncate output")
    parser.add_argument("--digests", action="store_true", help="show digests")
    parser.add_argument("-f", "--filter", action="append", default=[],
                        help="filter output: dangling=true|false, reference=PATTERN (e.g. 'bu*:lat*')")


def _filters(items: list[str]) -> tuple[bool | None, list[str]]:
    """(dangling wanted or None, reference patterns) from ``--filter`` values; bad ones are errors."""
    dangling: bool | None = None
    patterns: list[str] = []
    for item in items:
        key, eq, value = item.partition("=")
        if not eq:
            raise CLIError(f"bad format of filter (expected name=value): {item!r}")
        if key == "dangling" and value.lower() in ("true", "false", "1", "0"):
            dangling = value.lower() in ("true", "1")
        elif key == "reference" and value:
            patterns.append(value)
        else:
            raise CLIError(f"invalid filter {item!r}: supported are dangling=true|false and reference=PATTERN")
    return dangling, patterns


def _matches(ref: Reference | None, dangling: bool | None, patterns: list[str]) -> bool:
    import fnmatch

    if dangling is not None and (ref is None) != dangling:
        return False
    if patterns:
        if ref is None:
            return False
        names = (ref.familiar_name, f"{ref.familiar_name}:{ref.tag}", ref.name, str(ref))
        return any(fnmatch.fnmatchcase(n, p) for n in names for p in patterns)
    return True


def run_ls(args: argparse.Namespace) -> int:
    from kubelite.oci.reference import parse_reference
    from kubelite.runtime.images import ImageStore

    dangling, patterns = _filters(args.filter)
    with image_errors():
        images = ImageStore(args.root).list()
        want = None
        if args.repository:
            want = parse_reference(args.repository, default_tag=":" in args.repository.rsplit("/", 1)[-1])
    rows = [["REPOSITORY", "TAG", *(["DIGEST"] if args.digests else []), "IMAGE ID", "CREATED", "SIZE"]]
    seen_ids: list[str] = []
    now = time.time()
    for image in images:
        image_id = image.id if args.no_trunc else image.short_id
        refs: list[Reference | None] = [parse_reference(n) for n in image.names] or [None]
        for ref in refs:
            if want is not None and (ref is None or ref.name != want.name or (want.tag and ref.tag != want.tag)):
                continue
            if not _matches(ref, dangling, patterns):
                continue
            if args.quiet:
                if image_id not in seen_ids:
                    seen_ids.append(image_id)
                continue
            repo, tag = (ref.familiar_name, ref.tag or "<none>") if ref is not None else ("<none>", "<none>")
            digest = [image.digest] if args.digests else []
            rows.append([repo, tag, *digest, image_id, created_ago(image, now), human_size(image.size)])
    if args.quiet:
        if seen_ids:
            print("\n".join(seen_ids))
    else:
        print(table(rows))
    return 0


# ---------------------------------------------------------------------------------------------------
# rm (also ``kubelite rmi``)


def add_rm_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("images", nargs="+", metavar="IMAGE")
    parser.add_argument("-f", "--force", action="store_true", help="force removal of the image")


def run_rm(args: argparse.Namespace) -> int:
    from kubelite.runtime.images import ImageStore

    store = ImageStore(args.root)
    failed = 0
    for ref in args.images:
        try:
            with image_errors():
                for line in store.remove(ref, force=args.force):
                    print(line)
        except CLIError as err:
            print(f"Error: {err}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


# ---------------------------------------------------------------------------------------------------
# inspect, prune, bootstrap


def run_inspect(args: argparse.Namespace) -> int:
    import json

    from kubelite.runtime.images import ImageNotFoundError, ImageStore

    store = ImageStore(args.root)
    out = []
    missing = []
    for ref in args.images:
        try:
            with image_errors():
                try:
                    out.append(store.resolve(ref).inspect())
                except ImageNotFoundError:
                    missing.append(ref)
        except CLIError as err:
            missing.append(ref)
            print(f"Error: {err}", file=sys.stderr)
    print(json.dumps(out, indent=4))
    for ref in missing:
        print(f"Error: No such image: {ref}", file=sys.stderr)
    return 1 if missing else 0


def run_prune(args: argparse.Namespace) -> int:
    from kubelite.runtime.content import ContentStore
    from kubelite.runtime.images import ImageStore

    before = sum(b.size for b in ContentStore(args.root).walk())
    with image_errors():
        lines = ImageStore(args.root).prune(all_unused=args.all)
    after = sum(b.size for b in ContentStore(args.root).walk())
    if lines:
        print("Deleted Images:")
        print("\n".join(lines))
        print()
    print(f"Total reclaimed space: {human_size(max(0, before - after))}")
    return 0


def run_bootstrap(args: argparse.Namespace) -> int:
    from kubelite.runtime import bootstrap

    what = args.image
    with image_errors():
        if what in ("busybox", "busybox:latest"):
            if args.include:
                raise CLIError("--include is for debian images; busybox has no packages")
            image = bootstrap.bootstrap_busybox(args.root, name=args.tag or "busybox:latest")
        elif what == "debian" or what.startswith("debian:"):
            suite = what.partition(":")[2] or "bookworm"
            include = [p.strip() for p in (args.include or "").split(",") if p.strip()]
            print(f"Bootstrapping debian:{suite} with mmdebstrap (minbase"
                  f"{' + ' + ', '.join(include) if include else ''}); this takes a minute...", file=sys.stderr)
            image = bootstrap.bootstrap_debian(args.root, suite, include, name=args.tag,
                                               mirror=args.mirror)
        else:
            raise CLIError(f"unknown base image {what!r}: bootstrap knows busybox and debian:SUITE")
    print(f"Bootstrapped image: {', '.join(image.repo_tags) or image.id}")
    print(image.id)
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="subcommand", metavar="COMMAND")
    sub.required = True
    boot = sub.add_parser("bootstrap", help="make a base image without a registry: busybox, debian:SUITE")
    boot.add_argument("image", metavar="busybox|debian:SUITE")
    boot.add_argument("--include", help="debian: comma-separated extra packages")
    boot.add_argument("-t", "--tag", help="name the image (default busybox:latest / debian:SUITE)")
    boot.add_argument("--mirror", help="debian: the package mirror URL (default: mmdebstrap's)")
    boot.set_defaults(func=run_bootstrap)
    ls = sub.add_parser("ls", help="list images")
    add_ls_arguments(ls)
    ls.set_defaults(func=run_ls)
    rm = sub.add_parser("rm", help="remove images")
    add_rm_arguments(rm)
    rm.set_defaults(func=run_rm)
    insp = sub.add_parser("inspect", help="display detailed information on images (JSON)")
    insp.add_argument("images", nargs="+", metavar="IMAGE")
    insp.set_defaults(func=run_inspect)
    prune = sub.add_parser("prune", help="remove unused images and content")
    prune.add_argument("-a", "--all", action="store_true", help="remove all images no container uses")
    prune.add_argument("-f", "--force", action="store_true", help="do not prompt (there is no prompt)")
    prune.set_defaults(func=run_prune)


def run(args: argparse.Namespace) -> int:
    code: int = args.func(args)
    return code
