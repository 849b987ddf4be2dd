"""``exec`` and ``attach``: a process in a pod's container with our stdio, over the API server's
WebSocket channel streams (:mod:`kubelite.client.streams`).

As kubectl: ``-t`` takes effect only with ``-i`` and a terminal on our stdin (else a warning and no
tty); under a tty the local terminal goes raw and its size follows SIGWINCH; a remote exit code N is
printed as ``command terminated with exit code N`` and becomes ours.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kubelite.cli.errors import CLIError
from kubelite.cli.kubectl import terminal
from kubelite.cli.kubectl.common import kubeconfig_path, run_async

JsonDict = dict[str, Any]
DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"


def add_exec(parser: argparse.ArgumentParser) -> None:
    _add_stdio(parser)
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARG...]")


def split_command(args: argparse.Namespace) -> None:
    """kubectl takes flags between the pod and ``--`` (``exec web -c app -- ls``); argparse's remainder
    holds them, so they are parsed here and the command is what follows ``--``."""
    words = list(args.command)
    if not (words and words[0].startswith("-") and "--" in words):
        return
    cut = words.index("--")
    late = argparse.ArgumentParser(prog="kubelite kubectl exec", add_help=False)
    late.add_argument("--kubeconfig", default=None)
    late.add_argument("-n", "--namespace", default=None)
    _add_stdio(late, with_pod=False)
    try:
        flags, unknown = late.parse_known_args(words[:cut])
    except SystemExit:
        raise CLIError(f"invalid flags before --: {' '.join(words[:cut])}") from None
    if unknown:
        raise CLIError(f"unknown flags before --: {' '.join(unknown)}")
    for key, value in vars(flags).items():
        if value not in (None, False):
            setattr(args, key, value)
    args.command = words[cut + 1:]


def add_attach(parser: argparse.ArgumentParser) -> None:
    _add_stdio(parser)


def _add_stdio(parser: argparse.ArgumentParser, *, with_pod: bool = True) -> None:
    if with_pod:
        parser.add_argument("pod", help="POD or pod/POD")
    parser.add_argument("-c", "--container", default=None if not with_pod else "")
    parser.add_argument("-i", "--stdin", action="store_true")
    parser.add_argument("-t", "--tty", action="store_true")
    parser.add_argument("-q", "--quiet", action="store_true")


def _write(stream: Any) -> Any:
    def sink(data: bytes) -> None:
        stream.write(data)
        stream.flush()
    return sink


def _pod_name(target: str) -> str:
    kind, sep, name = target.partition("/")
    if not sep:
        return target
    if kind.lower() not in ("pod", "pods", "po"):
        raise CLIError(f"{kind}/{name}: only pods can be exec'd into or attached to here; name the pod")
    return name


def pick_container(pod: JsonDict, requested: str, quiet: bool) -> JsonDict:
    """The container spec the session addresses, as kubectl picks it (``-c``, the default-container
    annotation, else the first one, saying so when there were several)."""
    containers = (pod.get("spec") or {}).get("containers") or []
    name = pod["metadata"]["name"]
    if requested:
        for c in [*containers, *((pod.get("spec") or {}).get("initContainers") or [])]:
            if c.get("name") == requested:
                return dict(c)
        raise CLIError(f"container {requested} not found in pod {name}")
    annotated = (pod["metadata"].get("annotations") or {}).get(DEFAULT_CONTAINER_ANNOTATION)
    for c in containers:
        if annotated and c.get("name") == annotated:
            return dict(c)
    if not containers:
        raise CLIError(f"pod {name} has no containers")
    if len(containers) > 1 and not quiet:
        names = ", ".join(str(c.get("name")) for c in containers)
        print(f'Defaulted container "{containers[0].get("name")}" out of: {names}', file=sys.stderr)
    return dict(containers[0])


async def _session(args: argparse.Namespace, verb: str) -> int:
    from kubelite.client import streams
    from kubelite.client.rest import Client

    if verb == "exec":
        split_command(args)
    if verb == "exec" and not args.command:
        raise CLIError("you must specify at least one command for the container")
    stdin_fd = sys.stdin.fileno()
    use_tty = args.tty and args.stdin
    if use_tty and not terminal.is_terminal(stdin_fd):
        if not args.quiet:
            print("Unable to use a TTY - input is not a terminal or the right kind of file", file=sys.stderr)
        use_tty = False
    async with Client.from_kubeconfig(kubeconfig_path(args)) as client:
        ns = args.namespace or client.namespace or "default"
        name = _pod_name(args.pod)
        pod = await client.resource("v1", "pods").get(name, ns)
        phase = (pod.get("status") or {}).get("phase")
        if phase in ("Succeeded", "Failed"):
            raise CLIError(f"cannot {verb} into a container in a completed pod; current phase is {phase}")
        container = pick_container(pod, args.container, args.quiet)
        if verb == "attach" and use_tty and not container.get("tty"):
            if not args.quiet:
                print(f"Unable to use a TTY - container {container.get('name')} did not allocate one",
                      file=sys.stderr)
            use_tty = False
        flags = {"container": str(container.get("name")), "stdin": args.stdin, "tty": use_tty}
        if verb == "exec":
            ws = await streams.exec_stream(client, ns, name, list(args.command), **flags)
        else:
            ws = await streams.attach_stream(client, ns, name, **flags)
            if (args.stdin or use_tty) and not args.quiet:
                print("If you don't see a command prompt, try pressing enter.", file=sys.stderr)
        stdin = terminal.read_stdin(stdin_fd) if args.stdin else None
        if use_tty:
            with terminal.raw_mode(stdin_fd):
                code = await streams.run_channels(ws, stdout=_write(sys.stdout.buffer),
                                                  stderr=_write(sys.stderr.buffer), stdin=stdin,
                                                  resizes=terminal.window_sizes(stdin_fd))
        else:
            code = await streams.run_channels(ws, stdout=_write(sys.stdout.buffer),
                                              stderr=_write(sys.stderr.buffer), stdin=stdin)
    if code:
        print(f"command terminated with exit code {code}", file=sys.stderr)
    return code


def _run(args: argparse.Namespace, verb: str) -> int:
    from kubelite.client.streams import StreamError

    try:
        code: int = run_async(_session(args, verb))
    except StreamError as err:
        raise CLIError(str(err)) from None
    return code


def exec_(args: argparse.Namespace) -> int:
    return _run(args, "exec")


def attach(args: argparse.Namespace) -> int:
    return _run(args, "attach")
