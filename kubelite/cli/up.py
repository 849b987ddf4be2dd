"""``kubelite up``: start a single-node cluster on this machine (server, then agent) in the background.

It returns once the API answers and, with an agent, once the node is Ready; it prints where the
kubeconfig is and merges a ``kubelite`` context into ``~/.kube/config`` (unless ``--no-kubeconfig``).
Running it again resumes the same cluster: objects live in the data dir's SQLite store.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubelite.daemons.cluster import ClusterConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", default="/var/lib/kubelite/server", help="cluster state and logs")
    parser.add_argument("--listen", default="127.0.0.1:6443", help="API server address")
    parser.add_argument("--no-kubeconfig", action="store_true", help="do not touch ~/.kube/config")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for readiness")
    parser.add_argument("--kubelet-port", type=int, default=10250, help="the node agent's HTTPS port")


def run(args: argparse.Namespace) -> int:
    import shutil

    import yaml

    from kubelite.cli.errors import CLIError
    from kubelite.cli.main import COMMANDS
    from kubelite.daemons import cluster
    from kubelite.daemons.kubeconfig_merge import merge

    with_agent = "agent" in COMMANDS
    if with_agent and os.geteuid() != 0:
        raise CLIError("kubelite up runs containers and needs root (runc, mounts, network): run it with sudo")
    if with_agent:
        for tool, package in (("runc", "runc"), ("conmon", "conmon"), ("nft", "nftables")):
            if shutil.which(tool) is None:
                raise CLIError(f"{tool} not found: apt-get install {package} (or run `make up`)")
    config = cluster.ClusterConfig(data_dir=Path(args.data_dir), engine_root=Path(args.root), listen=args.listen,
                                   timeout=args.timeout, with_agent=with_agent, kubelet_port=args.kubelet_port)
    started = time.monotonic()
    try:
        if cluster.running_pid(config, "server") is None:
            first_run = not config.kubeconfig.exists()
            print("Starting the control plane" + (" (first run: generating certificates)" if first_run else ""),
                  flush=True)
            cluster.spawn(config, "server")
        since = 0.0
        # With a kubeconfig already written (any run after the first), the agent starts beside the server
        # and registers the moment the API answers: its start-up overlaps the server's.
        agent_started = False
        if with_agent and config.kubeconfig.exists() and cluster.running_pid(config, "agent") is None:
            since, agent_started = _start_agent(config), True
        cluster.wait_for(config, "server", lambda: cluster.api_ready(config), "the API server ready")
        if with_agent:
            if not agent_started and cluster.running_pid(config, "agent") is None:
                since = _start_agent(config)
            cluster.wait_for(config, "agent", lambda: cluster.node_ready(config, since),
                             f"node {config.node_name} Ready")
            cluster.wait_for(config, "agent", lambda: cluster.dns_ready(config), "cluster DNS answering")
    except cluster.ClusterError as err:
        raise CLIError(str(err)) from None
    elapsed = time.monotonic() - started
    print(f"kubelite is up in {elapsed:.1f}s. Kubeconfig: {config.kubeconfig}")
    if not args.no_kubeconfig:
        user_config = Path.home() / ".kube" / "config"
        existing = yaml.safe_load(user_config.read_text()) if user_config.exists() else None
        ours = yaml.safe_load(config.kubeconfig.read_text())
        user_config.parent.mkdir(parents=True, exist_ok=True)
        user_config.write_text(yaml.safe_dump(merge(existing, ours), sort_keys=False))
        user_config.chmod(0o600)
        print(f"Context 'kubelite' merged into {user_config} and made current: try `kubectl get nodes`")
    else:
        print(f"Use it with: kubectl --kubeconfig {config.kubeconfig} get nodes")
    if not with_agent:
        print("Note: the node agent (kubelet) is not built yet, so pods will stay Pending.")
    return 0


def _start_agent(config: ClusterConfig) -> float:
    """Spawn the agent; returns the wall-clock time its first heartbeat must follow."""
    from kubelite.daemons import cluster

    print(f"Starting the node agent ({config.node_name})", flush=True)
    # Lease times have microsecond precision; a second of slack covers clock reads.
    since = time.time() - 1.0
    cluster.spawn(config, "agent")
    return since
