"""The container engine's verbs: create, start, stop, kill, remove, list, inspect, wait.

Daemonless, like podman: every verb is a short-lived call that reads the records, observes the world
(conmon's exit file, runc's state), acts, and writes the records back under the store's lock. Long waits
(a stop's grace period) happen outside the lock. The container itself lives under conmon, so it outlives
the CLI that started it.

Interruption safety: a container is first registered as ``creating`` with the CLI's pid as owner; only
when its rootfs, network and bundle are ready does it become ``created``. If the CLI dies in between,
the next engine call sees a ``creating`` record with a dead owner and reaps it (rootfs, netns, address,
record), so nothing is left half-registered. Failures inside ``create`` clean up at once.
"""

from __future__ import annotations

import contextlib
import os
import signal as signals
from collections.abc import Iterator

from kubelite.runtime import containers as ctrs
from kubelite.runtime.container_errors import (
    ContainerError,
    InvalidArgument,
    InvalidState,
    NotFound,
    RuntimeFailure,
)
from kubelite.runtime.containers import Container, Store
from kubelite.runtime.image_source import ImageInfo, ImageSource
from kubelite.runtime.monitor import MonitorPaths, pid_alive, read_exit, rfc3339, start_monitor
from kubelite.runtime.network.ipam import NetConf
from kubelite.runtime.network.kernel import NetKernel
from kubelite.runtime.requests import (
    CreateRequest,
    StartResult,
    merge_env,
    parse_volume,
    signal_name,
    signal_number,
    wait_pid_exit,
)
from kubelite.runtime.runc import Runc, write_bundle

# Re-exported: callers build requests and parse flags through this module too.
__all__ = ["CreateRequest", "Engine", "StartResult", "merge_env", "parse_volume", "signal_name", "wait_pid_exit"]


class Engine:
    """One engine root. ``images`` and ``kernel`` default to the real image store and host kernel."""

    def __init__(
        self,
        root: str,
        *,
        images: ImageSource | None = None,
        kernel: NetKernel | None = None,
        net: NetConf | None = None,
    ) -> None:
        self.root = os.path.abspath(root)
        self.store = Store(self.root)
        self._images = images
        self._kernel = kernel
        self._net = net
        self.runc = Runc(os.path.join(self.root, "runc"))

    # --- dependencies, built on first use to keep the CLI's start-up small -------------------------

    @property
    def images(self) -> ImageSource:
        if self._images is None:
            from kubelite.runtime.image_source import StoreImageSource

            self._images = StoreImageSource(self.root)
        return self._images

    @property
    def kernel(self) -> NetKernel:
        if self._kernel is None:
            from kubelite.runtime.network.kernel import HostKernel

            self._kernel = HostKernel()
        return self._kernel

    @property
    def net(self) -> NetConf:
        if self._net is None:
            from kubelite.runtime.network.ipam import load_conf

            self._net = load_conf(self.root)
        return self._net

    def paths(self, cid: str) -> MonitorPaths:
        return MonitorPaths(bundle=self.store.path(cid), cid=cid)

    # --- observation -------------------------------------------------------------------------------

    def _observe(self, ctr: Container) -> ctrs.Observed:
        info = read_exit(self.paths(ctr.id))
        runc_status = None
        if info is None and ctr.state.status == ctrs.RUNNING:
            if ctr.state.conmon_pid and pid_alive(ctr.state.conmon_pid):
                runc_status = "running"
            else:
                st = self.runc.state(ctr.id)
                runc_status = st.get("status") if st else None
        return ctrs.Observed(
            exit_code=info.code if info else None,
            finished_at=info.finished_at if info else rfc3339(),
            oom_killed=(info.oom_killed or self.oom_counted(ctr)) if info else False,
            runc_status=runc_status,
            owner_alive=pid_alive(ctr.state.owner_pid),
        )

    def oom_counted(self, ctr: Container) -> bool:
        """cgroup v1's oom_kill counter for the container's cgroup (it exists until runc delete)."""
        if not ctr.host_config.memory:
            return False
        for base in (f"/sys/fs/cgroup/memory/kubelite/{ctr.id}", f"/sys/fs/cgroup/kubelite/{ctr.id}"):
            for name in ("memory.oom_control", "memory.events"):
                try:
                    with open(os.path.join(base, name)) as fh:
                        for line in fh:
                            key, _, value = line.partition(" ")
                            if key == "oom_kill" and int(value) > 0:
                                return True
                except (FileNotFoundError, ValueError):
                    continue
        return False

    def refresh(self, ctr: Container) -> Container:
        """Bring one record in line with reality and persist the change (under the lock)."""
        if ctr.state.status not in (ctrs.RUNNING, ctrs.CREATING):
            return ctr
        seen = self._observe(ctr)
        if ctrs.is_stale_creating(ctr.state, seen):
            self._reap(ctr)
            raise NotFound(f"No such container: {ctr.id}")
        new_state = ctrs.reconcile(ctr.state, seen)
        if new_state != ctr.state:
            with self.store.lock():
                fresh = self.store.load(ctr.id)
                if fresh.state == ctr.state:
                    fresh.state = new_state
                    self.store.save(fresh)
                ctr = fresh
        return ctr

    def containers(self, *, all_containers: bool = False) -> list[Container]:
        out = []
        for record in self.store.all():
            try:
                ctr = self.refresh(record)
            except NotFound:
                continue
            if ctr.state.status == ctrs.CREATING:
                continue
            if all_containers or ctr.state.status == ctrs.RUNNING:
                out.append(ctr)
        out.sort(key=lambda c: c.created, reverse=True)
        return out

    def get(self, ref: str) -> Container:
        ctr = self.refresh(self.store.lookup(ref))
        if ctr.state.status == ctrs.CREATING:
            raise NotFound(f"No such container: {ref}")
        return ctr

    # --- create ------------------------------------------------------------------------------------

    def create(self, req: CreateRequest) -> Container:
        image = self.images.resolve(req.image)
        name = ctrs.validate_name(req.name) if req.name else ""
        if req.network not in ("bridge", "host", "none") and not req.sandbox:
            raise InvalidArgument(f"network {req.network} not found (use bridge, host or none)")
        if req.publish and (req.network != "bridge" or req.sandbox):
            req.publish = []  # Docker ignores -p outside the bridge network (with a warning)
        if req.workdir and not req.workdir.startswith("/"):
            raise InvalidArgument(f"the working directory '{req.workdir}' is invalid, it needs to be an absolute path")
        binds = [parse_volume(v) for v in req.volumes]
        cid = ctrs.new_id()
        ctr = Container(
            id=cid,
            name="",
            created=rfc3339(),
            config=self._config(req, image),
            host_config=ctrs.HostConfig(
                network_mode=req.network,
                port_bindings=list(req.publish),
                binds=list(req.volumes),
                memory=req.memory,
                nano_cpus=int(req.cpus * 1e9),
                cpu_shares=req.cpu_shares,
                pids_limit=req.pids_limit,
                auto_remove=req.auto_remove,
                no_new_privileges=req.no_new_privileges,
                readonly_rootfs=req.readonly_rootfs,
                cap_add=list(req.cap_add),
                cap_drop=list(req.cap_drop),
                privileged=req.privileged,
                sandbox=req.sandbox,
            ),
            state=ctrs.State(status=ctrs.CREATING, owner_pid=os.getpid()),
        )
        with self.store.lock():
            stale = self._mark_stale()
        for dead in stale:  # reaped first, so an interrupted create's name is free again
            self._reap(dead)
        with self.store.lock():
            if name:
                self.store.check_name_free(name)
            else:
                taken = {c.name for c in self.store.all()}
                name = ctrs.random_name()
                while name in taken:
                    name = ctrs.random_name()
            ctr.name = name
            self.store.save(ctr)
        try:
            self._materialize(ctr, image, binds)
        except BaseException:
            self._reap(ctr)
            raise
        with self.store.lock():
            ctr.state = ctrs.transition(ctr.state, "created")
            self.store.save(ctr)
        return ctr

    def _config(self, req: CreateRequest, image: ImageInfo) -> ctrs.Config:
        cfg = image.config
        entrypoint = list(req.entrypoint) if req.entrypoint is not None else list(cfg.get("Entrypoint") or [])
        if req.command:
            cmd = list(req.command)
        elif req.entrypoint is not None:
            cmd = []  # Docker: --entrypoint resets the image's Cmd
        else:
            cmd = list(cfg.get("Cmd") or [])
        args = entrypoint + cmd
        if not args:
            raise InvalidArgument("no command specified (the image has no Cmd or Entrypoint)")
        env = merge_env(list(cfg.get("Env") or []), req.env)
        stop_signal = signal_name(str(cfg.get("StopSignal") or "SIGTERM"))
        return ctrs.Config(
            image=req.image,
            image_id=image.id,
            args=args,
            entrypoint=entrypoint,
            cmd=cmd,
            env=env,
            cwd=req.workdir or str(cfg.get("WorkingDir") or "/"),
            user=req.user or str(cfg.get("User") or ""),
            hostname=req.hostname,
            tty=req.tty,
            stdin=req.stdin,
            stdin_once=req.stdin_once,
            labels=dict(cfg.get("Labels") or {}) | req.labels,
            stop_signal=stop_signal,
            exposed_ports=sorted((cfg.get("ExposedPorts") or {}).keys()),
        )

    def _materialize(self, ctr: Container, image: ImageInfo, binds: list[tuple[str, str, bool]]) -> None:
        from kubelite.runtime import bundle

        rootfs = self.store.path(ctr.id, "rootfs")
        os.makedirs(rootfs, exist_ok=True)
        self.images.prepare_rootfs(ctr.id, image, rootfs)
        if not ctr.config.hostname:
            ctr.config.hostname = ctr.id[:12] if ctr.host_config.network_mode != "host" else os.uname().nodename
        ctr.network = bundle.setup_network(self, ctr)
        with self.store.lock():
            self.store.save(ctr)
        write_bundle(self.store.path(ctr.id), bundle.spec_for(self, ctr, binds))

    # --- start -------------------------------------------------------------------------------------

    def start(self, ref: str, *, sync: bool = False, attach: bool = False) -> tuple[Container, StartResult]:
        """Start a created or exited container. With ``sync`` conmon stays our child (foreground run);
        with ``attach`` the attach socket is connected *before* the process starts, so no output is lost."""
        ctr = self.get(ref)
        if ctr.state.status == ctrs.RUNNING:
            raise InvalidState(f"container {ctr.name} is already running")
        with self.store.lock():
            ctr = self.store.load(ctr.id)
            if ctr.state.status == ctrs.EXITED:
                self.runc.delete(ctr.id, force=True)
                ctr.state = ctrs.transition(ctr.state, "restart")
                ctr.restart_count += 1
                self.store.save(ctr)
            elif ctr.state.status != ctrs.CREATED:
                raise InvalidState(f"cannot start container {ctr.name}: it is {ctr.state.status}")
            elif os.path.exists(os.path.join(self.runc.state_root, ctr.id)):
                # A start interrupted after runc create (the CLI was killed): clear runc's leftover.
                self.runc.delete(ctr.id, force=True)
            self.check_ports(ctr)
            if ctr.host_config.port_bindings:
                self.publish(extra=ctr)
                ctr.state.starting_pid = os.getpid()
                self.store.save(ctr)
        try:
            started = start_monitor(
                self.paths(ctr.id),
                name=ctr.name,
                runc=self.runc.binary,
                runc_root=self.runc.state_root,
                stdin=ctr.config.stdin,
                tty=ctr.config.tty,
                sync=sync,
                exit_command=self._cleanup_command(ctr) if ctr.host_config.auto_remove and not sync else None,
                leave_stdin_open=not ctr.config.stdin_once,
            )
            sock = None
            if attach:
                from kubelite.runtime.attach import connect

                try:
                    sock = connect(self.paths(ctr.id).attach_socket)
                except OSError as err:
                    raise RuntimeFailure(f"cannot attach to the container: {err}") from None
            self.runc.start(ctr.id)
        except ContainerError as err:
            with self.store.lock():
                ctr = self.store.load(ctr.id)
                ctr.state.error = str(err)
                ctr.state.starting_pid = 0
                self.store.save(ctr)
                if ctr.host_config.port_bindings:
                    self.publish()
            with contextlib.suppress(ContainerError):
                self.runc.delete(ctr.id, force=True)
            raise
        with self.store.lock():
            ctr = self.store.load(ctr.id)
            ctr.state = ctrs.transition(
                ctr.state, "started", pid=started.pid, conmon_pid=started.conmon_pid, started_at=rfc3339()
            )
            ctr.state.starting_pid = 0
            self.store.save(ctr)
        return ctr, StartResult(
            pid=started.pid,
            conmon_pid=started.conmon_pid,
            conmon_process=started.conmon_process,
            attach_socket=sock,
        )

    def _cleanup_command(self, ctr: Container) -> list[str]:
        """What conmon runs when a detached ``--rm`` container exits: ``kubelite rm -f <id>``."""
        import sys

        return [sys.executable, "-m", "kubelite", "--root", self.root, "rm", "-f", ctr.id]

    def check_ports(self, ctr: Container) -> None:
        """Docker's "port is already allocated" (see :mod:`kubelite.runtime.publishing`)."""
        from kubelite.runtime.publishing import check_ports

        check_ports(self, ctr)

    def publish(self, extra: Container | None = None) -> None:
        """Make the nft table match the running containers' ports (call under the lock)."""
        from kubelite.runtime.publishing import publish

        publish(self, extra)

    # --- stop, kill, wait --------------------------------------------------------------------------

    def kill(self, ref: str, sig: str = "SIGKILL") -> Container:
        ctr = self.get(ref)
        if ctr.state.status != ctrs.RUNNING:
            raise InvalidState(f"Cannot kill container: {ref}: container {ctr.id[:12]} is not running")
        self.runc.kill(ctr.id, signal_number(sig))
        return ctr

    def wait(self, ctr: Container, timeout: float | None = None) -> bool:
        """Wait until conmon has recorded the exit (conmon exits right after writing the exit file)."""
        if read_exit(self.paths(ctr.id)) is not None:
            return True
        if ctr.state.conmon_pid and wait_pid_exit(ctr.state.conmon_pid, timeout):
            return True
        return read_exit(self.paths(ctr.id)) is not None

    def stop(self, ref: str, timeout: int | None = None) -> Container:
        """The image's STOPSIGNAL (default SIGTERM), then SIGKILL after the grace period (default 10 s)."""
        ctr = self.get(ref)
        if ctr.state.status != ctrs.RUNNING:
            return ctr
        grace = ctr.config.stop_timeout if timeout is None else timeout
        with contextlib.suppress(NotFound):
            self.runc.kill(ctr.id, signal_number(ctr.config.stop_signal))
        if not self.wait(ctr, max(0, grace)):
            with contextlib.suppress(NotFound):
                self.runc.kill(ctr.id, int(signals.SIGKILL), all_processes=True)
            self.wait(ctr, 10)
        try:
            ctr = self.refresh(self.store.load(ctr.id))
        except NotFound:
            return ctr  # a --rm container: conmon's exit command already removed it
        if ctr.host_config.port_bindings:
            with self.store.lock():
                self.publish()
        return ctr

    # --- remove, prune -----------------------------------------------------------------------------

    def remove(self, ref: str, *, force: bool = False) -> str:
        ctr = self.get(ref)
        if ctr.state.status == ctrs.RUNNING:
            if not force:
                raise InvalidState(
                    f"You cannot remove a running container {ctr.id}. Stop the container "
                    "before attempting removal or force remove"
                )
            with contextlib.suppress(NotFound, InvalidState):
                self.runc.kill(ctr.id, int(signals.SIGKILL), all_processes=True)
            self.wait(ctr, 10)
        with self.store.lock():
            ctr = self.store.load(ctr.id)
            if ctr.state.status == ctrs.REMOVING:
                raise InvalidState(f"removal of container {ctr.name} is already in progress")
            ctr.state = ctrs.transition(self.refresh_state(ctr), "remove")
            self.store.save(ctr)
        self._reap(ctr)
        return ctr.id

    def refresh_state(self, ctr: Container) -> ctrs.State:
        return ctrs.reconcile(ctr.state, self._observe(ctr))

    def _reap(self, ctr: Container) -> None:
        """Undo everything a container may have: runc state, netns, address, rootfs, record."""
        from kubelite.runtime import bundle

        if os.path.exists(os.path.join(self.runc.state_root, ctr.id)):  # runc still knows it
            with contextlib.suppress(ContainerError):
                self.runc.delete(ctr.id, force=True)
        bundle.teardown_network(self, ctr)
        rootfs = self.store.path(ctr.id, "rootfs")
        from kubelite.runtime.image_source import detach

        detach(rootfs)  # first, so a failing image side can never leave the mount behind
        with contextlib.suppress(Exception):
            self.images.release_rootfs(ctr.id, rootfs)
        with self.store.lock():
            self.store.delete(ctr.id)
            if ctr.host_config.port_bindings:
                self.publish()

    def _mark_stale(self) -> list[Container]:
        """Mark ``creating`` records whose CLI died as removing (under the lock); the caller reaps them
        after releasing it (flock is per open file, so reaping under it would deadlock)."""
        stale = []
        for ctr in list(self.store.all()):
            if ctr.state.status == ctrs.CREATING and not pid_alive(ctr.state.owner_pid):
                ctr.state.status = ctrs.REMOVING
                self.store.save(ctr)
                stale.append(ctr)
        return stale

    def prune(self) -> list[str]:
        """Remove every stopped container (``system prune``); returns their ids."""
        removed = []
        for ctr in self.containers(all_containers=True):
            if ctr.state.status in (ctrs.EXITED, ctrs.CREATED):
                with contextlib.suppress(ContainerError):
                    removed.append(self.remove(ctr.id))
        for ctr in list(self.store.all()):
            if ctr.state.status == ctrs.REMOVING or (
                ctr.state.status == ctrs.CREATING and not pid_alive(ctr.state.owner_pid)
            ):
                self._reap(ctr)
                removed.append(ctr.id)
        return removed

    def iter_ids(self) -> Iterator[str]:
        for ctr in self.store.all():
            yield ctr.id
