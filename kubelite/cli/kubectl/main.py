"""Dispatch of ``kubelite kubectl VERB``: each verb's flags as kubectl spells them."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from kubelite.cli.errors import CLIError
from kubelite.cli.kubectl import info, portforward, read, remote, rollout, write
from kubelite.cli.kubectl.common import add_common

STREAMING = ("cp",)

VERBS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None] | None,
                       Callable[[argparse.Namespace], int]]] = {
    "get": ("Display one or many resources", read.add_get, read.get),
    "describe": ("Show details of a resource", read.add_describe, read.describe),
    "logs": ("Print the logs of a container in a pod", read.add_logs, read.logs),
    "create": ("Create resources from files (-f)", write.add_files, write.create),
    "apply": ("Apply a configuration from files (-f), server-side", write.add_files, write.apply),
    "delete": ("Delete resources by name, selector or file", write.add_delete, write.delete),
    "label": ("Update the labels on a resource", write.add_meta, write.label),
    "annotate": ("Update the annotations on a resource", write.add_meta, write.annotate),
    "scale": ("Set a new size for a deployment, replica set or replication controller", write.add_scale,
              write.scale),
    "set": ("Set the image of a workload's containers (set image)", write.add_set, write.set_),
    "run": ("Run a particular image in a pod", write.add_run, write.run_),
    "expose": ("Expose a resource as a new Service", write.add_expose, write.expose),
    "exec": ("Execute a command in a container", remote.add_exec, remote.exec_),
    "attach": ("Attach to a running container", remote.add_attach, remote.attach),
    "port-forward": ("Forward one or more local ports to a pod", portforward.add_arguments,
                     portforward.port_forward),
    "rollout": ("Manage the rollout of a deployment", rollout.add_arguments, rollout.rollout),
    "version": ("Print the client and server versions", None, info.version),
    "api-resources": ("Print the supported API resources", None, info.api_resources),
    "cluster-info": ("Display cluster information", None, info.cluster_info),
    "config": ("View kubeconfig, switch contexts", info.add_config, info.config),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for name, (help_text, add, _) in VERBS.items():
        p = sub.add_parser(name, help=help_text)
        add_common(p)
        if add is not None:
            add(p)
    for name in STREAMING:
        p = sub.add_parser(name, help="(not built in yet: use kubectl)")
        p.add_argument("rest", nargs=argparse.REMAINDER)


def run(args: argparse.Namespace) -> int:
    if args.verb in STREAMING:
        raise CLIError(f"`kubectl {args.verb}` is not built into kubelite yet; use the real kubectl")
    return VERBS[args.verb][2](args)
