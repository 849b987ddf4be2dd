"""``kubelite run``: create and start a container, Docker's flags, foreground or detached.

Foreground runs attach to conmon's socket before starting the container, print its output as it comes,
forward SIGINT/SIGTERM to it (Docker's ``--sig-proxy``) and exit with its exit code; the container still
lives under conmon, so killing this CLI does not kill it. ``-d`` prints the id and returns at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from kubelite.cli.engine_common import engine_errors, open_engine
from kubelite.cli.errors import CLIError


def add_create_arguments(parser: argparse.ArgumentParser) -> None:
    a = parser.add_argument
    a("--name", default="", help="assign a name to the container")
    a("-e", "--env", action="append", default=[], metavar="K=V", help="set an environment variable")
    a("--env-file", action="append", default=[], metavar="FILE", help="read environment variables from FILE")
    a(
        "-p",
        "--publish",
        action="append",
        default=[],
        metavar="[IP:]HOST:CTR[/PROTO]",
        help="publish a container port on the host",
    )
    a("-v", "--volume", action="append", default=[], metavar="SRC:DST[:ro]", help="bind mount a host path")
    a("-w", "--workdir", default="", help="working directory inside the container")
    a("-u", "--user", default="", help="USER[:GROUP] to run as (name or id)")
    a("--entrypoint", default=None, help="override the image's entrypoint")
    a("-i", "--interactive", action="store_true", help="keep stdin open")
    a("-t", "--tty", action="store_true", help="allocate a pseudo-terminal")
    a("--hostname", default="", help="container hostname")
    a("--network", "--net", default="bridge", help="bridge (default), host or none")
    a("--memory", "-m", default="", help="memory limit (e.g. 64m, 1g)")
    a("--cpus", default="", help="number of CPUs (quota), e.g. 0.5")
    a("--cpu-shares", type=int, default=0, help="relative CPU weight")
    a("--pids-limit", type=int, default=0, help="maximum number of processes")
    a("--rm", action="store_true", help="remove the container when it exits")
    a("--read-only", action="store_true", help="mount the root filesystem read-only")
    a("--security-opt", action="append", default=[], help="no-new-privileges[:true]")
    a("-l", "--label", action="append", default=[], metavar="K=V", help="set a label")
    a("image", help="image reference")
    a("command", nargs=argparse.REMAINDER, help="command and arguments")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-d", "--detach", action="store_true", help="run in the background, print the id")
    add_create_arguments(parser)


def read_env_file(path: str) -> list[str]:
    """Docker's env-file: KEY=VALUE lines, ``#`` comments, a bare KEY takes the caller's value."""
    try:
        with open(path) as fh:
            lines = fh.read().splitlines()
    except OSError as err:
        raise CLIError(f"open {path}: {err.strerror}") from None
    out = []
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, _ = line.partition("=")
        if not key or any(c.isspace() for c in key):
            raise CLIError(f"{path}:{number}: invalid environment variable {line!r}")
        if not sep:
            if key in os.environ:
                out.append(f"{key}={os.environ[key]}")
            continue
        out.append(line)
    return out


def create_request(args: Any) -> Any:
    """The typed :class:`~kubelite.runtime.lifecycle.CreateRequest` from parsed flags (errors -> CLIError)."""
    from kubelite.runtime.lifecycle import CreateRequest
    from kubelite.runtime.network.ports import parse_publish
    from kubelite.runtime.spec import parse_memory

    env: list[str] = []
    for path in args.env_file:
        env += read_env_file(path)
    for item in args.env:
        if "=" not in item:
            if item in os.environ:
                env.append(f"{item}={os.environ[item]}")
            continue
        env.append(item)
    try:
        memory = parse_memory(args.memory) if args.memory else 0
    except ValueError as err:
        raise CLIError(str(err)) from None
    cpus = 0.0
    if args.cpus:
        try:
            cpus = float(args.cpus)
        except ValueError:
            raise CLIError(f"invalid argument {args.cpus!r} for --cpus: not a number") from None
        if cpus <= 0 or cpus > (os.cpu_count() or 1):
            raise CLIError(
                f"range of CPUs is from 0.01 to {os.cpu_count() or 1}.00, as there are only "
                f"{os.cpu_count() or 1} CPUs available"
            )
    labels = {}
    for item in args.label:
        key, _, value = item.partition("=")
        labels[key] = value
    nnp = False
    for opt in args.security_opt:
        if opt.split(":")[0].split("=")[0] == "no-new-privileges" and not opt.endswith("false"):
            nnp = True
        else:
            raise CLIError(f"unsupported --security-opt {opt!r} (only no-new-privileges)")
    entrypoint = None
    if args.entrypoint is not None:
        entrypoint = [args.entrypoint] if args.entrypoint else []
    with engine_errors():
        publish = [parse_publish(p) for p in args.publish]
    return CreateRequest(
        image=args.image,
        command=list(args.command),
        entrypoint=entrypoint,
        name=args.name,
        env=env,
        publish=publish,
        volumes=list(args.volume),
        workdir=args.workdir,
        user=args.user,
        hostname=args.hostname,
        network=args.network,
        memory=memory,
        cpus=cpus,
        cpu_shares=args.cpu_shares,
        pids_limit=args.pids_limit,
        tty=args.tty,
        stdin=args.interactive,
        auto_remove=args.rm,
        no_new_privileges=nnp,
        readonly_rootfs=args.read_only,
        labels=labels,
    )


def run(args: argparse.Namespace) -> int:
    if args.command and args.command[0] == "--":
        args.command = args.command[1:]
    req = create_request(args)
    engine = open_engine(args)
    with engine_errors():
        ctr = engine.create(req)
        if args.detach:
            try:
                engine.start(ctr.id)
            except BaseException:
                if req.auto_remove:
                    engine.remove(ctr.id, force=True)
                raise
            print(ctr.id)
            return 0
        if req.auto_remove and not req.stdin and not req.tty:
            return direct(engine, ctr.id)
        return foreground(engine, ctr.id, auto_remove=req.auto_remove)


def direct(engine: Any, cid: str) -> int:
    """``run --rm`` in the foreground: runc run with this CLI as the monitor (see runtime/direct.py)."""
    from kubelite.runtime.direct import run_direct

    try:
        code = run_direct(engine, cid)
        final = engine.get(cid)
        if final.state.oom_killed:
            print(f"Error: container {final.name} was OOM-killed (memory limit reached)", file=sys.stderr)
    finally:
        engine.remove(cid, force=True)
    return code


def foreground(engine: Any, cid: str, *, auto_remove: bool) -> int:
    """Start ``cid`` attached: output to our stdout/stderr, our stdin to it if -i, its exit code back."""
    import signal

    from kubelite.runtime import attach
    from kubelite.runtime.container_errors import ContainerError

    try:
        ctr, started = engine.start(cid, sync=True, attach=True)
    except ContainerError:
        if auto_remove:
            engine.remove(cid, force=True)
        raise

    def forward(signum: int, _frame: object) -> None:
        try:
            engine.runc.kill(cid, signum)
        except ContainerError:
            pass

    old = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        sock = started.attach_socket
        if sock is not None:
            stdin_fd = sys.stdin.fileno() if ctr.config.stdin else None
            if ctr.config.tty and os.isatty(sys.stdout.fileno()):
                size = os.get_terminal_size(sys.stdout.fileno())
                attach.send_resize(engine.paths(cid).bundle + "/ctl", size.lines, size.columns)
            with attach.raw_terminal(sys.stdin.fileno() if ctr.config.tty and stdin_fd is not None else -1):
                outcome = attach.relay(sock, stdin_fd=stdin_fd)
            sock.close()
            if outcome == "detached":
                print(f"\r\nDetached from {ctr.id[:12]}", file=sys.stderr)
                return 0
        if started.conmon_process is not None:
            started.conmon_process.wait()
        engine.wait(ctr, None)
        final = engine.get(cid)
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
    code: int = final.state.exit_code
    if final.state.oom_killed:
        print(f"Error: container {final.name} was OOM-killed (memory limit reached)", file=sys.stderr)
    if auto_remove:
        engine.remove(cid, force=True)
    return code
