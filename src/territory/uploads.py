"""Uploaded timelines on a shared server: a memory budget for the process, and reading in a worker.

A visitor's events file is parsed, checked and turned into a dataset (new places, control cells)
in a **worker process** (``multiprocessing``, forkserver): the server's own interpreter only
unpickles the result (about half a second for 100,000 rows, instead of 10-20 s of work holding
the GIL), so other sessions keep stepping dates while a file is read. The worker has a memory limit
(``RLIMIT_AS``) and a time limit, so no file, however pathological, takes the server down, and at
most ``UPLOAD_WORKERS`` run at once.

The datasets read are held while a session shows them; the **budget** counts their memory,
process-wide. An upload that would take the total past it is refused (one line, the visitor's
current timeline kept); a dataset's share is given back when no session holds it any more (its
session ended, or went back to the built-in timeline): the ledger tracks it with a weak reference.

Settings (``settings`` defaults, environment overrides, e.g. in the service's environment or
``.streamlit``'s launcher): ``TERRITORY_UPLOAD_BUDGET_MB``, ``TERRITORY_UPLOAD_WORKER_MB``,
``TERRITORY_UPLOAD_TIMEOUT_S``, ``TERRITORY_UPLOAD_WORKERS``, ``TERRITORY_UPLOAD_CACHE_MB`` (the memoised
results an uploaded dataset may keep: its cache's bound, counted in its share of the budget).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import hashlib
import multiprocessing
import os
import pickle
import resource
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from territory import settings
from territory._errors import UsageError
from territory.data import Dataset

BUSY = "the server holds too many uploaded timelines now; try again later, or run it on your machine with `--events`"


SWEEP_S = 20.0


class UploadRefused(UsageError):
    """An upload the server cannot take now (memory budget, a busy or failed reader): one line."""


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError:
        return default


@dataclass(frozen=True)
class Limits:
    """The limits in force (settings, overridden by the environment)."""

    budget_mb: int
    worker_mb: int
    timeout_s: int
    workers: int
    cache_mb: int

    @classmethod
    def current(cls) -> Limits:
        """Read the settings and the environment now."""
        return cls(
            budget_mb=_env_int("TERRITORY_UPLOAD_BUDGET_MB", settings.UPLOAD_BUDGET_MB),
            worker_mb=_env_int("TERRITORY_UPLOAD_WORKER_MB", settings.UPLOAD_WORKER_MB),
            timeout_s=_env_int("TERRITORY_UPLOAD_TIMEOUT_S", settings.UPLOAD_TIMEOUT_S),
            workers=max(1, _env_int("TERRITORY_UPLOAD_WORKERS", settings.UPLOAD_WORKERS)),
            cache_mb=max(1, _env_int("TERRITORY_UPLOAD_CACHE_MB", settings.UPLOAD_CACHE_MB)),
        )


# --- the budget ------------------------------------------------------------------------------------


class Ledger:
    """Bytes held by uploaded datasets (released when each is collected) and reserved by readings."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, int] = {}
        self._reserved = 0
        self._sweeper: threading.Thread | None = None

    def total(self) -> int:
        """Bytes counted now: held datasets plus readings under way."""
        with self._lock:
            return sum(self._held.values()) + self._reserved

    def held(self) -> int:
        """Number of uploaded datasets alive."""
        with self._lock:
            return len(self._held)

    def reserve(self, nbytes: int, budget: int) -> None:
        """Count ``nbytes`` for a reading about to start, or refuse it when the budget is spent."""
        for attempt in range(2):
            with self._lock:
                if sum(self._held.values()) + self._reserved + nbytes <= budget:
                    self._reserved += nbytes
                    return
            if attempt == 0:
                gc.collect()  # datasets of ended sessions may wait in reference cycles: free them first
        raise UploadRefused(BUSY)

    def unreserve(self, nbytes: int) -> None:
        """A reading ended (its dataset, if any, is then :meth:`hold`-ed)."""
        with self._lock:
            self._reserved -= nbytes

    def hold(self, ds: Dataset, nbytes: int) -> None:
        """Count ``ds`` until it is garbage: then its bytes are given back (and to the OS, see ``_trim``)."""
        key = ds.identity
        with self._lock:
            self._held[key] = nbytes
        weakref.finalize(ds, self._release, key)
        self._sweep()

    def _sweep(self) -> None:
        """Collect garbage every ``SWEEP_S`` while uploads are held, in a daemon thread.

        A dataset is in reference cycles (its caches), and Streamlit's collection after every rerun
        is off (``runner.postScriptGC``: 60 ms of CPU per date step), so without this an ended
        session's upload could wait long for Python's own full collection.
        """
        with self._lock:
            if self._sweeper is not None and self._sweeper.is_alive():
                return
            self._sweeper = threading.Thread(target=self._sweep_loop, name="territory-upload-sweep", daemon=True)
            self._sweeper.start()

    def _sweep_loop(self) -> None:
        while self.held():
            time.sleep(SWEEP_S)
            gc.collect()

    def _release(self, key: str) -> None:
        with self._lock:
            self._held.pop(key, None)
        _trim()


LEDGER = Ledger()


def _trim() -> None:
    """Hand freed heap back to the OS (glibc keeps it otherwise); best effort."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def estimate_bytes(data: bytes) -> int:
    """What reading ``data`` will hold once shown: five times the file, at least 8 MB.

    Measured: a 50 MB, 100,000-row ACLED export adds ~230 MB to a served page's process.
    """
    return max(8 * 2**20, 5 * len(data))


def deferred(make: Any, ds: Dataset, *args: Any) -> Any:
    """``make(ds, *args)`` as a download the page makes on click, holding ``ds`` only weakly.

    Streamlit keeps a deferred download's callable after its session has ended (until another
    session's run sweeps it); a closure over an uploaded dataset would keep its memory, and its share
    of the budget, for that long.
    """
    return functools.partial(_call_deferred, make, weakref.ref(ds), args)


def _call_deferred(make: Any, ref: weakref.ref[Dataset], args: tuple[Any, ...]) -> Any:
    ds = ref()
    if ds is None:  # the session that showed this timeline has ended
        msg = "this timeline is no longer held by the server; upload the file again"
        raise UploadRefused(msg)
    return make(ds, *args)


# --- the worker ------------------------------------------------------------------------------------

_SLOTS: threading.BoundedSemaphore | None = None
_SLOTS_N = 0
_SLOTS_LOCK = threading.Lock()
_CONTEXT: Any = None


def _slots(n: int) -> threading.BoundedSemaphore:
    global _SLOTS, _SLOTS_N
    with _SLOTS_LOCK:
        if _SLOTS is None or n != _SLOTS_N:
            _SLOTS, _SLOTS_N = threading.BoundedSemaphore(n), n
        return _SLOTS


def _context() -> Any:
    """The forkserver context: workers fork from a clean process that has imported the libraries.

    Never from the server itself, whose threads may hold locks at the moment of a fork.
    """
    global _CONTEXT
    if _CONTEXT is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["territory.uploads", "territory.usertimeline"])
        _CONTEXT = ctx
    return _CONTEXT


def _base_spec(ds: Dataset) -> dict[str, Any]:
    """How a worker gets the same base dataset: its geodata directory, and serve --events' file."""
    spec: dict[str, Any] = {"geodata": str(ds.directory) if ds.directory else str(settings.geodata_dir())}
    if ds.origin:
        spec["events"] = os.environ.get(ENV_EVENTS)
        spec["actors"] = os.environ.get(ENV_ACTORS)
    return spec


def _vm_size() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _work(conn: Any, spec: dict[str, Any], payload: tuple[Any, ...], worker_mb: int) -> None:
    """In the worker: read the file over the base dataset and send back its own parts, pickled."""
    from territory import usertimeline
    from territory.data import default_dataset

    try:
        base = default_dataset(Path(spec["geodata"]))
        if spec.get("events"):
            actors = Path(spec["actors"]) if spec.get("actors") else None
            base = usertimeline.load_file(base, Path(spec["events"]), actors)
        # The limit bounds what the visitor's file takes, above the base data (read first).
        with contextlib.suppress(OSError, ValueError):
            limit = _vm_size() + worker_mb * 2**20
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        data, file, actors_bytes, actors_file = payload
        mapping = usertimeline.read_actors(actors_bytes, actors_file) if actors_bytes is not None else None
        user = usertimeline.load_bytes(base, data, file, mapping)
        shared = {k for k, v in user.extra_layers.items() if base.extra_layers.get(k) is v}
        parts = {
            "places": user.places,
            "cells": user.cells,
            "timeline": user.timeline,
            "origin": user.origin,
            "extra": {k: v for k, v in user.extra_layers.items() if k not in shared},
            "shared": sorted(shared),
        }
        conn.send_bytes(pickle.dumps(("ok", parts), protocol=pickle.HIGHEST_PROTOCOL))
    except MemoryError:
        conn.send_bytes(pickle.dumps(("memory", worker_mb)))
    except usertimeline.TimelineFileError as exc:  # load_bytes words any failure as the file's
        refused = ("memory", worker_mb) if isinstance(exc.__cause__, MemoryError) else ("refused", str(exc))
        conn.send_bytes(pickle.dumps(refused))
    except BaseException as exc:
        reason = str(exc).splitlines()[0][:160] if str(exc) else ""
        conn.send_bytes(pickle.dumps(("failed", f"{type(exc).__name__}: {reason}")))
    finally:
        conn.close()


def _attach(parts: dict[str, Any], base: Dataset, cache_bytes: int) -> Dataset:
    return Dataset.from_parts(
        cache_max_bytes=cache_bytes,
        syria=base.syria,
        border=base.border,
        places=parts["places"],
        cells=parts["cells"],
        timeline=parts["timeline"],
        governorates=base.governorates,
        directory=None,
        extra_layers={**{k: base.extra_layers[k] for k in parts["shared"]}, **parts["extra"]},
        origin=parts["origin"],
    )


def read_in_worker(
    base: Dataset, data: bytes, file: str, actors: bytes | None, actors_file: str, limits: Limits
) -> tuple[Dataset, int]:
    """Read an upload in a worker process; the dataset and the bytes its own parts took to send.

    Raises
    ------
    TimelineFileError
        The file's own problem (as the command line says it).
    UploadRefused
        No worker free in time, the worker's memory or time limit, or a failure in it.
    """
    from territory import usertimeline

    slots = _slots(limits.workers)
    if not slots.acquire(timeout=limits.timeout_s):
        raise UploadRefused(BUSY)
    try:
        ctx = _context()
        ours, theirs = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_work,
            args=(theirs, _base_spec(base), (data, file, actors, actors_file), limits.worker_mb),
            daemon=True,
        )
        proc.start()
        theirs.close()
        try:
            deadline = time.monotonic() + limits.timeout_s
            answer = None
            while answer is None:
                if ours.poll(0.2):
                    try:
                        answer = ours.recv_bytes()
                    except EOFError:
                        break
                elif not proc.is_alive() or time.monotonic() > deadline:
                    break
            if answer is None:
                timed_out = time.monotonic() > deadline
                msg = (
                    f"{file}: took longer than {limits.timeout_s} s to read; expected a file the server reads in "
                    "that time (run it on your machine with `--events`)"
                    if timed_out
                    else f"{file}: the reader stopped (exit {proc.exitcode}), likely out of its memory "
                    f"({limits.worker_mb} MB); run it on your machine with `--events`"
                )
                raise UploadRefused(msg)
        finally:
            if proc.is_alive():
                proc.kill()
            proc.join(timeout=10)
            ours.close()
    finally:
        slots.release()
    status, value = pickle.loads(answer)
    if status == "refused":
        raise usertimeline.TimelineFileError(value)
    if status == "memory":
        msg = f"{file}: needs more memory than a reading may take ({value} MB); run it on your machine with `--events`"
        raise UploadRefused(msg)
    if status == "failed":
        msg = f"{file}: could not be read ({value}); expected {usertimeline.formats_said()}"
        raise usertimeline.TimelineFileError(msg)
    return _attach(value, base, limits.cache_mb * 2**20), len(answer)


def read_upload(base: Dataset, data: bytes, file: str, actors: bytes | None, actors_file: str) -> Dataset:
    """An upload's dataset, read in a worker within the process's memory budget.

    Raises
    ------
    UploadRefused
        The budget would be exceeded (``BUSY``), or the worker's limits were hit.
    TimelineFileError
        The file's own problem.
    """
    limits = Limits.current()
    estimate = estimate_bytes(data)
    LEDGER.reserve(estimate, limits.budget_mb * 2**20)
    try:
        user, sent = read_in_worker(base, data, file, actors, actors_file, limits)
        # What a session showing it holds, measured in a served page (bench/uploads.py: ~230 MB of
        # server RSS per 100,000-row upload, for 51 MB sent and a 50 MB file): the parts unpickled,
        # the map's base data and caches drawn from them, and the file Streamlit keeps in the box;
        # plus the most its memoised results may grow to, so the budget covers the worst case.
        LEDGER.hold(user, max(3 * sent + 2 * len(data), 2**20) + (user.cache_max_bytes or 0))
    finally:
        LEDGER.unreserve(estimate)
        gc.collect()
        _trim()
    return user


# --- the app's caches: uploads read in this process, and the dataset it starts with ------------------------

# Uploads read in this process, kept while any session shows them (weakly: a dataset no session holds
# is freed, and its share of the upload budget given back).
_SHARED: weakref.WeakValueDictionary[tuple[Any, ...], Dataset] = weakref.WeakValueDictionary()
_SHARED_LOCK = threading.Lock()


def load_upload(
    ds: Dataset, data: bytes, file: str, actors: bytes | None = None, actors_file: str = "actors.csv"
) -> Dataset:  # never strict: the page loads the file and lists the actors left without a side
    """:func:`territory.usertimeline.load_bytes` for the page, in a worker process and within the upload memory budget.

    The same file uploaded again (a reload, another tab) while a session still shows it is read once.
    Each session holds and sees only its own upload.

    Raises
    ------
    UploadRefused
        The server's upload budget is spent, or the reading hit its memory or time limit.
    """
    key = (
        ds.identity,
        hashlib.sha256(data).hexdigest(),
        Path(file).name,
        hashlib.sha256(actors).hexdigest() if actors is not None else None,
    )
    with _SHARED_LOCK:
        user = _SHARED.get(key)
    if user is not None:
        return user
    user = read_upload(ds, data, file, actors, actors_file)
    user.origin = {**(user.origin or {}), "uploaded": True}  # through the page: this session's only
    with _SHARED_LOCK:
        _SHARED[key] = user
    return user


ENV_EVENTS = "TERRITORY_EVENTS"
ENV_ACTORS = "TERRITORY_ACTORS"
_PROCESS: dict[tuple[Any, ...], Dataset] = {}


def process_dataset() -> Dataset:
    """The dataset a served dashboard starts with: geodata/, drawing ``$TERRITORY_EVENTS`` if set (serve --events)."""
    from territory import usertimeline
    from territory.data import default_dataset

    ds = default_dataset()
    events = os.environ.get(ENV_EVENTS)
    if not events:
        return ds
    actors = os.environ.get(ENV_ACTORS) or None
    path = Path(events)
    key = (ds.identity, str(path), path.stat().st_mtime if path.exists() else None, actors)
    if key not in _PROCESS:
        _PROCESS.clear()
        _PROCESS[key] = usertimeline.load_file(ds, path, Path(actors) if actors else None)
    return _PROCESS[key]
