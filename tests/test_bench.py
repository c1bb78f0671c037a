"""Smoke tests: the benchmark scripts run and report. Benchmarks are never timed assertions."""

import json
import subprocess
import sys

import pytest

from .conftest import ROOT
from .test_browser import _need_browser

pytestmark = pytest.mark.slow  # each runs a benchmark script in its own process (seconds to a minute)


def _run(*args, timeout=900):
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_engine_benchmark_runs(tmp_path):
    out = tmp_path / "engine.json"
    proc = _run("bench/engine.py", "--quick", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert data["real"]["dates"] >= 17 and data["synthetic"][0]["places"] == 1000


def test_actors_benchmark_runs(tmp_path):
    out = tmp_path / "actors.json"
    proc = _run("bench/actors.py", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert data["patterns"] > 1000 and data["per_10000_distinct_actors"]["mapped"]["mapped"] == 10_000


def test_build_benchmark_runs(tmp_path):
    out = tmp_path / "build.json"
    proc = _run("bench/build.py", "--runs", "1", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["runs"] == 1


@pytest.mark.browser
def test_slider_benchmark_runs(tmp_path):
    _need_browser()
    out = tmp_path / "slider.json"
    proc = _run("bench/slider_latency.py", "--modes", "ours,naive,floor", "--steps", "3", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert {m: data["modes"][m]["steps"] for m in ("ours", "naive", "floor")} == {"ours": 3, "naive": 3, "floor": 3}
    # The server's rerun times come from bench/timed_dashboard.py's wrapper (the app has no timer of its own).
    assert data["modes"]["ours"]["server_rerun_p50_ms"] > 0 and data["modes"]["naive"]["server_rerun_p50_ms"] > 0
    for key in ("p50_ms", "p95_ms", "floor_p50_ms", "bytes_per_step", "peak_server_rss_mb"):
        assert data[key] is not None
    assert "slider→map" in proc.stdout


@pytest.mark.browser
def test_load_benchmark_runs(tmp_path):
    _need_browser()
    out = tmp_path / "load.json"
    proc = _run(
        "bench/load.py", "--sessions", "2", "--seconds", "6", "--settle", "0.5", "--warmup", "1", "--json", str(out)
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert data["errors"] == 0 and data["state_leaks"] == 0
    assert data["steps"] >= 2 and data["warmup_steps"] == 2
    assert data["p95_ms"] >= data["p50_ms"] > 0 and data["cpu_s"]["server"] > 0 and data["cpu_s"]["renderer"] > 0
    assert len(data["samples"]) == data["steps"] + data["warmup_steps"]


@pytest.mark.browser
def test_labels_benchmark_runs(tmp_path):
    _need_browser()
    out = tmp_path / "labels.json"
    proc = _run("bench/labels.py", "--runs", "3", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    views = json.loads(out.read_text())["views"]
    assert set(views) == {"wide-syria", "wide-north-west", "phone-syria", "phone-north-west"}
    assert all(v["names_placed"] >= 7 and v["p95_ms"] >= v["p50_ms"] > 0 for v in views.values())


@pytest.mark.browser
def test_publish_benchmark_runs(tmp_path):
    _need_browser()
    out = tmp_path / "publish.json"
    proc = _run(
        "bench/publish_site.py", "--no-acled", "--server", "python", "--clients", "5", "--views", "20",
        "--seconds", "5", "--steps", "3", "--first-loads", "1", "--json", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())["builtin"]
    assert data["chromium"]["steps"] == 3 and data["chromium"]["step_redrawn_p50_ms"] > 0
    assert data["load"]["first_views"] == 20 and data["load"]["errors"] == 0
    assert 0 < data["sizes"]["first_view_gzip_mb"] < data["sizes"]["first_view_mb"] < data["sizes"]["site_mb"]
