"""Entry point of the ``kubelite`` command.

Every engine command pays the CLI's import time, so this module imports nothing heavy: the command
table below names each verb's module as a string, and only the chosen module is imported. Each verb
module provides ``add_arguments(parser)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import os
import sys
from typing import NamedTuple


class Command(NamedTuple):
    module: str
    help: str


# One line per verb. Keep the verbs a docker or kubectl user would type, with their help text.
COMMANDS: dict[str, Command] = {
    "version": Command("kubelite.cli.version", "Show the kubelite version"),
    "apiserver": Command("kubelite.cli.apiserver", "Run the Kubernetes API server in the foreground"),
    "server": Command("kubelite.cli.server", "Run the control plane (API server, controllers, scheduler)"),
    "up": Command("kubelite.cli.up", "Start a single-node cluster on this machine"),
    "down": Command("kubelite.cli.down", "Stop the single-node cluster (its state is kept)"),
    "status": Command("kubelite.cli.status", "Show whether the single-node cluster runs"),
    "cluster-logs": Command("kubelite.cli.logs_cluster", "Show the single-node cluster's logs (server, agent)"),
    "controller-manager": Command("kubelite.cli.controller_manager",
                                  "Run the controllers (replication, deployment, endpoints) against a cluster"),
    "scheduler": Command("kubelite.cli.scheduler", "Run the scheduler against a cluster"),
    "agent": Command("kubelite.cli.agent", "Run this machine as a worker node (kubelet) of a cluster"),
    "kubectl": Command("kubelite.cli.kubectl.main", "A built-in kubectl for machines without one (get, apply, ...)"),
    "dashboard": Command("kubelite.cli.dashboard", "Serve the web dashboard for the cluster and print its URL"),
    "service": Command("kubelite.cli.service", "Print the URLs of a Service, as minikube service does"),
    "proxy": Command("kubelite.cli.proxy", "Program this node's nftables so Services reach their pods"),
    "sim": Command("kubelite.cli.sim", "Simulated nodes for scale tests and demos (sim nodes --count N)"),
    "run": Command("kubelite.cli.run", "Create and start a container from an image"),
    "create": Command("kubelite.cli.create", "Create a container without starting it"),
    "ps": Command("kubelite.cli.ps", "List containers"),
    "inspect": Command("kubelite.cli.inspect", "Show containers or images as JSON"),
    "logs": Command("kubelite.cli.logs", "Print a container's logs"),
    "exec": Command("kubelite.cli.exec_", "Run a command in a running container"),
    "stop": Command("kubelite.cli.stop", "Stop containers (STOPSIGNAL, then SIGKILL after a grace period)"),
    "kill": Command("kubelite.cli.kill", "Send a signal to containers"),
    "start": Command("kubelite.cli.start", "Start stopped containers"),
    "rm": Command("kubelite.cli.rm", "Remove containers"),
    "system": Command("kubelite.cli.system", "Engine housekeeping: system prune"),
    "attach": Command("kubelite.cli.attach", "Attach to a running container's input and output"),
    "registry": Command("kubelite.cli.registry", "Run an image registry (serve) or reclaim its space (gc)"),
    "pull": Command("kubelite.cli.pull", "Download an image from a registry"),
    "push": Command("kubelite.cli.push", "Upload an image to a registry"),
    "login": Command("kubelite.cli.login", "Log in to a registry (saves credentials for push and pull)"),
    "build": Command("kubelite.cli.build", "Build an image from a Dockerfile"),
    "images": Command("kubelite.cli.images", "List images"),
    "tag": Command("kubelite.cli.tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"),
    "rmi": Command("kubelite.cli.rmi", "Remove one or more images"),
    "save": Command("kubelite.cli.save", "Save images to a tar archive (docker-archive + OCI layout)"),
    "load": Command("kubelite.cli.load", "Load images from a tar archive or STDIN"),
    "import": Command("kubelite.cli.import_", "Create an image from a root filesystem tarball"),
    "image": Command("kubelite.cli.image", "Manage images: bootstrap, ls, rm, inspect, prune"),
}

USAGE = "usage: kubelite [--root DIR] [--debug] COMMAND [ARGS...]"


def _print_help() -> None:
    width = max(len(name) for name in COMMANDS)
    print(USAGE)
    print()
    print("Kubernetes and Docker in one Python system, driven by real kubectl.")
    print()
    print("Global options:")
    print("  --root DIR   engine state directory (env KUBELITE_ROOT, default /var/lib/kubelite)")
    print("  --debug      verbose logs on stderr")
    print("  --version    print the version and exit")
    print()
    print("Commands:")
    for name, command in COMMANDS.items():
        print(f"  {name.ljust(width)}  {command.help}")
    print()
    print("Run 'kubelite COMMAND --help' for a command's options.")


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    root = os.environ.get("KUBELITE_ROOT", "/var/lib/kubelite")
    debug = False
    # Global options come before the verb, as with docker; parsed by hand to keep startup cheap.
    while args and args[0].startswith("-"):
        opt = args.pop(0)
        if opt in ("--version", "-v"):
            from kubelite import __version__

            print(f"kubelite version {__version__}")
            return 0
        if opt in ("--help", "-h"):
            _print_help()
            return 0
        if opt == "--debug":
            debug = True
        elif opt == "--root" and args:
            root = args.pop(0)
        elif opt.startswith("--root="):
            root = opt.split("=", 1)[1]
        else:
            print(f"kubelite: unknown global option {opt!r}\n{USAGE}", file=sys.stderr)
            return 2
    if not args:
        _print_help()
        return 2
    verb = args.pop(0)
    command = COMMANDS.get(verb)
    if command is None:
        print(f"kubelite: unknown command {verb!r}; run 'kubelite --help' for the list", file=sys.stderr)
        return 2
    return _dispatch(verb, command, args, root=root, debug=debug)


def _dispatch(verb: str, command: Command, args: list[str], *, root: str, debug: bool) -> int:
    import argparse
    import importlib

    from kubelite.base.log import setup_logging
    from kubelite.cli.errors import CLIError

    module = importlib.import_module(command.module)
    parser = argparse.ArgumentParser(prog=f"kubelite {verb}", description=command.help)
    module.add_arguments(parser)
    ns = parser.parse_args(args)
    ns.root = root
    ns.debug = debug
    setup_logging(debug=debug)
    try:
        code: int = module.run(ns)
    except CLIError as err:
        print(f"Error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        return 130
    return code
