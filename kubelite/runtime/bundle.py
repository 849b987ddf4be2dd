"""From a container record to an OCI bundle: network attachment, /etc files and the runtime spec.

Kept apart from :mod:`kubelite.runtime.lifecycle` so the spec a record produces can be read (and tested)
on its own: :func:`spec_options` is pure apart from the user lookup in the container's rootfs.
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING, Any

from kubelite.runtime.container_errors import ContainerError
from kubelite.runtime.containers import Container, NetworkState
from kubelite.runtime.spec import Mount, Resources, SpecOptions, bind, build_spec, default_rlimits

if TYPE_CHECKING:
    from kubelite.runtime.lifecycle import Engine


def setup_network(engine: Engine, ctr: Container) -> NetworkState:
    """Give the container its network: a bridge address, an isolated namespace, the host's, or its
    pod sandbox's."""
    mode = ctr.host_config.network_mode
    if ctr.host_config.sandbox:
        from kubelite.runtime.sandbox import SandboxStore

        sb = SandboxStore(engine.root).load(ctr.host_config.sandbox)
        return NetworkState(ip=sb.ip, prefix_len=sb.prefix_len, gateway=sb.gateway, netns=sb.netns)
    if mode == "host":
        return NetworkState()
    if mode == "none":
        return NetworkState()  # runc makes a fresh namespace with loopback up: nothing to set up here
    from kubelite.runtime.network import bridge as br
    from kubelite.runtime.network.ipam import Table

    with engine.store.lock():
        ip = Table(engine.root).claim(engine.net, ctr.id)
    att = br.attach(engine.kernel, engine.net, ctr.id, ip)
    return NetworkState(
        ip=att.ip,
        prefix_len=att.prefix_len,
        gateway=att.gateway,
        mac=att.mac,
        netns=att.netns,
        host_veth=att.host_veth,
    )


def teardown_network(engine: Engine, ctr: Container) -> None:
    """Undo :func:`setup_network` (idempotent; a sandbox's network is the sandbox's to remove)."""
    from kubelite.runtime.network import bridge as br
    from kubelite.runtime.network.ipam import Table

    if ctr.host_config.sandbox or ctr.host_config.network_mode in ("host", "none"):
        return
    with contextlib.suppress(ContainerError, OSError):
        br.detach(engine.kernel, ctr.id)
    if ctr.host_config.network_mode == "bridge":
        with engine.store.lock():
            Table(engine.root).release(ctr.id)


def spec_options(engine: Engine, ctr: Container, binds: list[tuple[str, str, bool]]) -> SpecOptions:
    from kubelite.runtime.container_errors import CommandNotFound
    from kubelite.runtime.network.files import write_files
    from kubelite.runtime.seccomp import default_profile
    from kubelite.runtime.spec import capability_set, host_capabilities, with_default_path
    from kubelite.runtime.users import find_executable, resolve_user

    directory = engine.store.path(ctr.id)
    rootfs = os.path.join(directory, "rootfs")
    hc = ctr.host_config
    command = ctr.config.args[0]
    mounted = [(src, dst) for src, dst, _ in binds]
    if not find_executable(rootfs, command, with_default_path(ctr.config.env), ctr.config.cwd, mounted):
        raise CommandNotFound(
            f'exec: "{command}": executable file not found in $PATH'
            if "/" not in command
            else f'exec: "{command}": stat {command}: no such file or directory'
        )
    namespaces: dict[str, str | None] = {"pid": None, "ipc": None, "uts": None, "mount": None}
    if hc.sandbox:
        from kubelite.runtime.sandbox import SandboxStore

        sb = SandboxStore(engine.root).load(hc.sandbox)
        namespaces["ipc"] = sb.ipc_ns
        for kind, path in (("network", sb.netns), ("uts", sb.uts_ns)):
            if path:
                namespaces[kind] = path
            else:
                namespaces.pop(kind, None)  # a hostNetwork pod: the host's namespace
        hostname = sb.hostname
    else:
        if hc.network_mode != "host":
            namespaces["network"] = ctr.network.netns or None
        hostname = ctr.config.hostname
    host_net = "network" not in namespaces
    if host_net:
        files = {"/etc/hosts": "/etc/hosts", "/etc/resolv.conf": "/etc/resolv.conf"}
    else:
        files = write_files(directory, hostname=hostname, ip=ctr.network.ip)
    if hc.sandbox:
        from kubelite.runtime.sandbox import SandboxStore

        pod_resolv = SandboxStore(engine.root).path(hc.sandbox, "resolv.conf")
        if os.path.exists(pod_resolv):
            files["/etc/resolv.conf"] = pod_resolv
    mounts: list[Mount] = [bind(src, dst) for dst, src in files.items()]
    if hc.sandbox:
        from kubelite.runtime.sandbox import SandboxStore

        shm = SandboxStore(engine.root).path(hc.sandbox, "shm")
        if os.path.ismount(shm):  # the pod's /dev/shm (a volume the pod mounts there still wins)
            mounts.append(bind(shm, "/dev/shm"))
    mounts += [bind(src, dst, readonly=ro) for src, dst, ro in binds]
    caps = capability_set(hc.cap_add, hc.cap_drop, privileged=hc.privileged, available=host_capabilities())
    return SpecOptions(
        args=list(ctr.config.args),
        rootfs=rootfs,
        env=list(ctr.config.env),
        cwd=ctr.config.cwd or "/",
        user=resolve_user(rootfs, ctr.config.user),
        hostname=hostname if not hc.sandbox else "",
        terminal=ctr.config.tty,
        readonly_rootfs=hc.readonly_rootfs,
        mounts=mounts,
        namespaces=namespaces,
        capabilities=caps,
        no_new_privileges=hc.no_new_privileges,
        seccomp=None if hc.privileged else default_profile(list(caps), cache_dir=os.path.join(engine.root, "cache")),
        privileged=hc.privileged,
        resources=Resources(
            memory=hc.memory or None,
            cpus=(hc.nano_cpus / 1e9) if hc.nano_cpus else None,
            cpu_shares=hc.cpu_shares or None,
            pids=hc.pids_limit or None,
        ),
        cgroups_path=f"/kubelite/{ctr.id}",
        rlimits=default_rlimits(),
        annotations={"io.kubelite.container.name": ctr.name, "io.kubelite.image": ctr.config.image},
    )


def spec_for(engine: Engine, ctr: Container, binds: list[tuple[str, str, bool]]) -> dict[str, Any]:
    return build_spec(spec_options(engine, ctr, binds))
