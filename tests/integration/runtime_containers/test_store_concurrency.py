"""Many engine processes at once on one root: the container lock keeps names and addresses unique."""

import multiprocessing
import os

import pytest

from kubelite.runtime.container_errors import AlreadyExists
from kubelite.runtime.containers import Config, Container, Store
from kubelite.runtime.network.ipam import NetConf, Table

pytestmark = pytest.mark.integration

CONF = NetConf(bridge="unused0", subnet="10.77.0.0/24", table="unused")


def _claim_many(root: str, worker: int, count: int) -> None:
    store = Store(root)
    for i in range(count):
        with store.lock():
            Table(root).claim(CONF, f"w{worker}-{i}")


def _reserve(root: str, worker: int, results: "multiprocessing.Queue[str]") -> None:
    store = Store(root)
    with store.lock():
        try:
            store.check_name_free("only-one")
        except AlreadyExists:
            results.put("lost")
            return
        store.save(Container(id=f"{worker:064x}", name="only-one", created="t", config=Config(image="x")))
    results.put("won")


def test_concurrent_address_claims_never_collide(tmp_path: object) -> None:
    root = str(tmp_path)
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_claim_many, args=(root, w, 15)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    table = Table(root).read()
    assert len(table) == 60 and len(set(table.values())) == 60
    assert all(ip.startswith("10.77.0.") for ip in table)


def test_concurrent_name_reservations_have_one_winner(tmp_path: object) -> None:
    root = str(tmp_path)
    ctx = multiprocessing.get_context("fork")
    results: multiprocessing.Queue[str] = ctx.Queue()
    procs = [ctx.Process(target=_reserve, args=(root, w, results)) for w in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    outcomes = sorted(results.get(timeout=10) for _ in procs)
    assert outcomes == ["lost"] * 5 + ["won"]
    assert [c.name for c in Store(root).all()] == ["only-one"]
    assert os.path.exists(os.path.join(root, "locks", "containers.lock"))
