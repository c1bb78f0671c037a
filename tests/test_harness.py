"""The test harness's own guarantees, which the parallel suite relies on."""

import socket

from . import harness


def test_each_worker_draws_ports_from_its_own_block_and_never_twice(monkeypatch):
    monkeypatch.setattr(harness, "_GIVEN", set())
    blocks = {}
    for worker in ("gw0", "gw1", "gw3"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        blocks[worker] = [harness.free_port() for _ in range(50)]
    for worker, ports in blocks.items():
        first = harness.FIRST_WORKER_PORT + harness.PORTS_PER_WORKER * int(worker[2:])
        assert all(first <= p < first + harness.PORTS_PER_WORKER for p in ports), (worker, ports)
    every = [p for ports in blocks.values() for p in ports]
    assert len(set(every)) == len(every)  # never handed out twice, across workers or within one


def test_a_port_in_use_is_skipped(monkeypatch):
    monkeypatch.setattr(harness, "_GIVEN", set())
    monkeypatch.setattr(harness, "PORTS_PER_WORKER", 2)
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw7")
    first = harness.FIRST_WORKER_PORT + 2 * 7
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", first))
        busy.listen()
        assert harness.free_port() == first + 1


def test_alone_the_kernel_picks(monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    port = harness.free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # it is free
