import pytest

from kubelite.runtime import containers as c
from kubelite.runtime.container_errors import AlreadyExists, InvalidArgument, InvalidState

pytestmark = pytest.mark.unit


def test_lifecycle_created_running_exited_restart_remove() -> None:
    s = c.State(status=c.CREATING, owner_pid=42)
    s = c.transition(s, "created")
    assert s.status == c.CREATED and s.owner_pid == 0
    s = c.transition(s, "started", pid=100, conmon_pid=99, started_at="t1")
    assert (s.status, s.pid, s.conmon_pid) == (c.RUNNING, 100, 99)
    s = c.transition(s, "exited", exit_code=3, finished_at="t2", oom_killed=True)
    assert (s.status, s.exit_code, s.pid, s.oom_killed) == (c.EXITED, 3, 0, True)
    s = c.transition(s, "restart")
    assert s.status == c.CREATED
    s = c.transition(s, "started", pid=101)
    assert s.exit_code == 0 and not s.oom_killed
    s = c.transition(c.transition(s, "exited", exit_code=0), "remove")
    assert s.status == c.REMOVING


@pytest.mark.parametrize(
    ("status", "event"),
    [
        (c.RUNNING, "remove"),
        (c.RUNNING, "started"),
        (c.CREATING, "started"),
        (c.REMOVING, "restart"),
        (c.CREATED, "restart"),
    ],
)
def test_illegal_steps_raise(status: str, event: str) -> None:
    with pytest.raises(InvalidState):
        c.transition(c.State(status=status), event)


def test_reconcile_exit_file_and_lost_monitor() -> None:
    running = c.State(status=c.RUNNING, pid=5)
    assert c.reconcile(running, c.Observed(runc_status="running")) == running
    done = c.reconcile(running, c.Observed(exit_code=137, finished_at="t", oom_killed=True))
    assert (done.status, done.exit_code, done.oom_killed) == (c.EXITED, 137, True)
    lost = c.reconcile(running, c.Observed(runc_status=None, finished_at="t"))
    assert lost.status == c.EXITED and "lost" in lost.error
    created = c.State(status=c.CREATED)
    assert c.reconcile(created, c.Observed(runc_status=None)) == created


def test_stale_creating_detected_only_when_owner_dead() -> None:
    s = c.State(status=c.CREATING, owner_pid=1)
    assert c.is_stale_creating(s, c.Observed(owner_alive=False))
    assert not c.is_stale_creating(s, c.Observed(owner_alive=True))


def test_names() -> None:
    assert c.validate_name("/web-1.a_b") == "web-1.a_b"
    for bad in ("-x", "a b", "", "ä"):
        with pytest.raises(InvalidArgument):
            c.validate_name(bad)


def test_store_roundtrip_lookup_and_name_conflict(tmp_path: object) -> None:
    store = c.Store(str(tmp_path))
    ctr = c.Container(
        id="ab" * 32,
        name="web",
        created="t",
        config=c.Config(image="busybox"),
        host_config=c.HostConfig(port_bindings=[c.PortBinding("", 8080, 80)]),
    )
    with store.lock():
        store.save(ctr)
    assert store.load(ctr.id) == ctr
    assert store.lookup("web").id == ctr.id
    assert store.lookup("abab").id == ctr.id
    with pytest.raises(AlreadyExists):
        store.check_name_free("web")
    from kubelite.runtime.container_errors import NotFound

    with pytest.raises(NotFound):
        store.lookup("nope")
