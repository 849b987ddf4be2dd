"""Container records, their pure state machine, and the on-disk store.

States (Docker's words, runc's meaning)::

    creating --created--> created --started--> running --exited--> exited
        |                    |                    |                   |
        +--(owner died)--> reaped                 +--(stop/kill: signal, still running)
                             |                                        |
                           removing <---------------------------------+--start--> created ...

* ``creating``: the record exists only to reserve the name and id while the CLI sets up the rootfs,
  network and runc container. Its ``owner_pid`` is the CLI's pid; a ``creating`` record whose owner is
  gone was interrupted (Ctrl-C, SIGKILL) and is reaped by the next CLI, so nothing stays half-registered.
* ``created``: rootfs mounted, network attached, bundle written; nothing runs yet (Docker's meaning).
* ``running``: ``start`` had conmon ``runc create`` the container and ran ``runc start``; conmon
  watches it and writes the exit code when it ends.
* ``exited``: conmon recorded the exit code (and OOM); ``start`` may run it again.

:func:`transition` is the whole machine, pure, so every legal and illegal step is unit-tested;
:func:`reconcile` folds in facts observed from the monitor (exit file, OOM flag, runc's state).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from kubelite.runtime.container_errors import AlreadyExists, InvalidArgument, InvalidState, NotFound

if TYPE_CHECKING:
    from kubelite.runtime.lock import EngineLock

CREATING = "creating"
CREATED = "created"
RUNNING = "running"
EXITED = "exited"
REMOVING = "removing"

# (from-state, event) -> to-state. Events: created, started, exited, restart, remove.
_TRANSITIONS: dict[tuple[str, str], str] = {
    (CREATING, "created"): CREATED,
    (CREATING, "remove"): REMOVING,
    (CREATED, "started"): RUNNING,
    (CREATED, "exited"): EXITED,
    (CREATED, "remove"): REMOVING,
    (RUNNING, "exited"): EXITED,
    (EXITED, "restart"): CREATED,
    (EXITED, "remove"): REMOVING,
    (EXITED, "exited"): EXITED,
}

NAME_RE = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$")


@dataclass
class State:
    status: str = CREATING
    pid: int = 0
    conmon_pid: int = 0
    exit_code: int = 0
    oom_killed: bool = False
    started_at: str = ""
    finished_at: str = ""
    error: str = ""
    owner_pid: int = 0
    starting_pid: int = 0  # the CLI between its port check and "started": its ports count as taken


@dataclass
class PortBinding:
    """``-p [IP:]HOST:CTR[/proto]`` after parsing: host_ip "" means all addresses (and loopback)."""

    host_ip: str
    host_port: int
    container_port: int
    protocol: str = "tcp"


@dataclass
class Config:
    """What the container runs: resolved from the image config and the user's flags."""

    image: str
    image_id: str = ""
    args: list[str] = field(default_factory=list)
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    env: list[str] = field(default_factory=list)
    cwd: str = "/"
    user: str = ""
    hostname: str = ""
    tty: bool = False
    stdin: bool = False
    stdin_once: bool = True  # Docker's StdinOnce: stdin closes when the attached client leaves
    labels: dict[str, str] = field(default_factory=dict)
    stop_signal: str = "SIGTERM"
    stop_timeout: int = 10
    exposed_ports: list[str] = field(default_factory=list)


@dataclass
class HostConfig:
    """How it runs: Docker's HostConfig subset."""

    network_mode: str = "bridge"  # bridge | host | none | sandbox:<id>
    port_bindings: list[PortBinding] = field(default_factory=list)
    binds: list[str] = field(default_factory=list)
    memory: int = 0
    nano_cpus: int = 0
    cpu_shares: int = 0
    pids_limit: int = 0
    auto_remove: bool = False
    no_new_privileges: bool = False
    readonly_rootfs: bool = False
    cap_add: list[str] = field(default_factory=list)
    cap_drop: list[str] = field(default_factory=list)
    privileged: bool = False
    sandbox: str = ""  # pod sandbox id whose namespaces we join, if any


@dataclass
class NetworkState:
    ip: str = ""
    prefix_len: int = 0
    gateway: str = ""
    mac: str = ""
    netns: str = ""  # path of the network namespace ("" = host's)
    host_veth: str = ""


@dataclass
class Container:
    id: str
    name: str
    created: str
    config: Config
    host_config: HostConfig = field(default_factory=HostConfig)
    state: State = field(default_factory=State)
    network: NetworkState = field(default_factory=NetworkState)
    restart_count: int = 0

    def to_json(self) -> dict[str, Any]:
        """The record as JSON-ready dicts. Hand-written: ``dataclasses.asdict`` deep-copies every value
        and cost ~2 ms per save, on a path (``run``) that saves several times."""
        host = dict(vars(self.host_config))
        host["port_bindings"] = [dict(vars(p)) for p in self.host_config.port_bindings]
        return {
            "id": self.id,
            "name": self.name,
            "created": self.created,
            "config": dict(vars(self.config)),
            "host_config": host,
            "state": dict(vars(self.state)),
            "network": dict(vars(self.network)),
            "restart_count": self.restart_count,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Container:
        host = dict(data.get("host_config") or {})
        host["port_bindings"] = [PortBinding(**p) for p in host.get("port_bindings") or []]
        return cls(
            id=data["id"],
            name=data["name"],
            created=data["created"],
            config=Config(**data["config"]),
            host_config=HostConfig(**host),
            state=State(**data.get("state") or {}),
            network=NetworkState(**data.get("network") or {}),
            restart_count=int(data.get("restart_count", 0)),
        )


def transition(state: State, event: str, **facts: Any) -> State:
    """The state after ``event``; raises :class:`InvalidState` for a step the machine does not allow.

    ``facts`` fill the fields the event carries: ``pid``/``conmon_pid``/``started_at`` for ``started``,
    ``exit_code``/``finished_at``/``oom_killed`` for ``exited``.
    """
    target = _TRANSITIONS.get((state.status, event))
    if target is None:
        raise InvalidState(f"cannot apply {event!r} to a container that is {state.status}")
    new = replace(state, status=target)
    if event == "started":
        new = replace(
            new,
            pid=int(facts.get("pid", 0)),
            conmon_pid=int(facts.get("conmon_pid", 0)),
            started_at=str(facts.get("started_at", "")),
            exit_code=0,
            oom_killed=False,
            finished_at="",
            error="",
        )
    elif event == "exited":
        new = replace(
            new,
            pid=0,
            exit_code=int(facts.get("exit_code", 0)),
            finished_at=str(facts.get("finished_at", "")),
            oom_killed=bool(facts.get("oom_killed", False)),
            error=str(facts.get("error", "")),
        )
    elif event == "created":
        new = replace(new, owner_pid=0, conmon_pid=int(facts.get("conmon_pid", state.conmon_pid)))
    elif event == "restart":
        new = replace(new, pid=0, conmon_pid=int(facts.get("conmon_pid", 0)))
    return new


@dataclass(frozen=True)
class Observed:
    """What the engine saw outside the record: conmon's exit file, its OOM flag, runc's status."""

    exit_code: int | None = None
    finished_at: str = ""
    oom_killed: bool = False
    runc_status: str | None = None  # created/running/stopped/paused, None when runc has no record
    owner_alive: bool = True


def reconcile(state: State, seen: Observed) -> State:
    """Level-triggered: the record brought in line with what was observed (pure).

    * a running container with an exit file has exited with that code;
    * one runc no longer knows, or reports stopped, without an exit file, died unobserved (conmon
      killed): exited with code 137 and an error saying so, as Docker reports a lost container;
    * a ``creating`` record whose owner is gone is left to the caller to reap (see the module doc).
    """
    if state.status == RUNNING:
        if seen.exit_code is not None:
            return transition(
                state,
                "exited",
                exit_code=seen.exit_code,
                finished_at=seen.finished_at,
                oom_killed=seen.oom_killed,
            )
        if seen.runc_status in (None, "stopped"):
            return transition(
                state,
                "exited",
                exit_code=137,
                finished_at=seen.finished_at,
                error="container monitor lost the process",
            )
    return state


def is_stale_creating(state: State, seen: Observed) -> bool:
    return state.status == CREATING and not seen.owner_alive


def new_id() -> str:
    return os.urandom(32).hex()


_ADJ = (
    "brave",
    "calm",
    "eager",
    "fond",
    "happy",
    "jolly",
    "keen",
    "lucid",
    "merry",
    "nifty",
    "proud",
    "quirky",
    "sharp",
    "tender",
    "vivid",
    "wise",
    "zen",
    "bold",
    "cool",
    "dreamy",
)
_NOUN = (
    "turing",
    "hopper",
    "lovelace",
    "knuth",
    "ritchie",
    "thompson",
    "torvalds",
    "curie",
    "noether",
    "darwin",
    "euler",
    "gauss",
    "hamilton",
    "kepler",
    "liskov",
    "mccarthy",
    "pike",
    "shannon",
)


def random_name() -> str:
    """Docker-style ``adjective_surnameNN`` (os.urandom: no ``secrets``/``random`` import per CLI call)."""
    a, b, n = os.urandom(3)
    return f"{_ADJ[a % len(_ADJ)]}_{_NOUN[b % len(_NOUN)]}{n % 100}"


def validate_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise InvalidArgument(f"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
    return name.lstrip("/")


class Store:
    """Container records on disk, one directory per container::

        <root>/containers/
          <id>/
            container.json           the Container record (written atomically: tmp + rename)
            config.json              the OCI bundle's spec (the bundle is this directory)
            rootfs/                  the mounted snapshot (overlayfs)
            ctr.log                  CRI-format log written by conmon
            exits/<id>               conmon's exit file (the exit code as text)
            exit, oom                conmon's persist-dir files (exit code; present if OOM-killed)
            conmon.pid, pidfile      conmon's and the container process's pids
            attach, ctl, winsz       conmon's attach socket and control fifos
            hosts, resolv.conf, hostname   bind-mounted into the container

    The lock is ``<root>/locks/containers.lock`` (see :mod:`kubelite.runtime.lock`). Callers take
    :meth:`lock` around read-modify-write sequences; reads of one record are atomic on
    their own thanks to rename.
    """

    def __init__(self, root: str) -> None:
        self.root = root
        self.dir = os.path.join(root, "containers")

    def path(self, cid: str, *parts: str) -> str:
        return os.path.join(self.dir, cid, *parts)

    def lock(self) -> EngineLock:
        """The ``containers`` engine lock (``<root>/locks/containers.lock``), exclusive."""
        from kubelite.runtime.lock import EngineLock

        return EngineLock(self.root, "containers")

    def save(self, ctr: Container) -> None:
        os.makedirs(self.path(ctr.id), exist_ok=True)
        target = self.path(ctr.id, "container.json")
        tmp = target + f".tmp{os.getpid()}"
        with open(tmp, "w") as fh:
            fh.write(json.dumps(ctr.to_json()))  # dumps: the C encoder (dump() runs the Python one)
        os.replace(tmp, target)

    def load(self, cid: str) -> Container:
        try:
            with open(self.path(cid, "container.json")) as fh:
                return Container.from_json(json.load(fh))
        except FileNotFoundError:
            raise NotFound(f"No such container: {cid}") from None

    def all(self) -> Iterator[Container]:
        try:
            names = os.listdir(self.dir)
        except FileNotFoundError:
            return
        for cid in names:
            if cid.startswith("."):
                continue
            try:
                yield self.load(cid)
            except (NotFound, json.JSONDecodeError, TypeError, KeyError):
                continue

    def lookup(self, ref: str) -> Container:
        """By full id, unique id prefix or name (as Docker resolves)."""
        ref = ref.lstrip("/")
        if not ref:
            raise NotFound("No such container: (empty)")
        if len(ref) == 64 and not ref.strip("0123456789abcdef") and os.path.exists(self.path(ref, "container.json")):
            return self.load(ref)  # a full id (what the kubelet always passes): no scan
        everything = list(self.all())
        for ctr in everything:
            if ref in (ctr.id, ctr.name):
                return ctr
        matches = [c for c in everything if c.id.startswith(ref)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise InvalidArgument(f"multiple containers match the prefix {ref!r}; give more of the id")
        raise NotFound(f"No such container: {ref}")

    def check_name_free(self, name: str) -> None:
        for ctr in self.all():
            if ctr.name == name:
                raise AlreadyExists(
                    f'Conflict. The container name "/{name}" is already in use by container '
                    f'"{ctr.id}". You have to remove (or rename) that container to be able '
                    "to reuse that name."
                )

    def delete(self, cid: str) -> None:
        import shutil

        shutil.rmtree(self.path(cid), ignore_errors=True)
