"""``kubelite build``: build an image from a Dockerfile, as ``docker build`` (classic output).

Thin: parses flags into a :class:`kubelite.build.executor.BuildRequest` and runs the builder; every
failure a user can cause becomes one ``Error:`` line naming the Dockerfile line when there is one.
"""

from __future__ import annotations

import argparse
import os
import sys

from kubelite.cli.errors import CLIError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("context", metavar="CONTEXT", help="the build context directory")
    parser.add_argument("-t", "--tag", action="append", default=[], metavar="NAME[:TAG]",
                        help="name and optionally a tag for the image (repeatable)")
    parser.add_argument("-f", "--file", metavar="PATH", help="the Dockerfile (default: CONTEXT/Dockerfile)")
    parser.add_argument("--build-arg", action="append", default=[], metavar="K=V",
                        help="set a build-time variable (K alone takes it from the environment)")
    parser.add_argument("--target", metavar="STAGE", help="build up to this stage")
    parser.add_argument("--no-cache", action="store_true", help="do not use the cache")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the image id")


def _build_args(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not key:
            raise CLIError(f"invalid --build-arg {item!r}: want KEY=VALUE")
        if eq:
            out[key] = value
        elif key in os.environ:
            out[key] = os.environ[key]
    return out


def run(args: argparse.Namespace) -> int:
    context = os.path.realpath(args.context)
    dockerfile = os.path.abspath(args.file) if args.file else os.path.join(context, "Dockerfile")
    build_args = _build_args(args.build_arg)
    if not args.no_cache:
        # An unchanged build is answered from its memo before the builder is even imported.
        from kubelite.build.replay import Request, replay

        hit = replay(args.root, Request(context, dockerfile, args.tag, build_args, args.target))
        if hit is not None:
            lines, image_id = hit
            print(image_id if args.quiet else "\n".join(lines))
            return 0

    from kubelite.build.errors import BuildError
    from kubelite.build.executor import Builder, BuildRequest

    request = BuildRequest(context=context, dockerfile=dockerfile, tags=list(args.tag),
                           build_args=build_args, target=args.target, no_cache=args.no_cache)
    out = open(os.devnull, "w") if args.quiet else sys.stdout  # noqa: SIM115 - closed below
    try:
        result = Builder(args.root, request, out).build()
    except BuildError as err:
        raise CLIError(str(err)) from None
    except (ValueError, OSError) as err:  # engine errors (bad reference, store) are one line each
        raise CLIError(str(err)) from None
    finally:
        if out is not sys.stdout:
            out.close()
    if args.quiet:
        print(result.image_id)
    return 0
