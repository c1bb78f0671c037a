"""A public deployment's protections (issue 19), each tested so that removing it fails the test."""

from __future__ import annotations

import csv
import gc
import io
import math
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import weakref
import zipfile

import pandas as pd
import pytest

from territory import csvout, settings, stats, uploads, usertimeline

from .conftest import ROOT
from .harness import MAP_FRAME, free_port, streamlit_server
from .test_browser import browser, page, server  # noqa: F401 (fixtures: a served dashboard, a browser page)
from .test_usertimeline import acled_rows, write_acled

# --- actor patterns: RE2, linear time, limits ------------------------------------------------------

EVIL = "(a+)+$"  # Python's re backtracks exponentially on 'aaa…!': 26 a's take 7 s, each one more doubles it


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[bytes]:
    # The timeout only keeps a regression from hanging the suite (re would run for years); not a timing check.
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "territory", *args], capture_output=True, cwd=ROOT, env=env, timeout=timeout, check=False
    )


def test_a_catastrophic_pattern_on_a_long_actor_completes_and_maps_right(ds, tmp_path):
    rows = acled_rows(ds)
    rows[-1]["actor1"] = "a" * 60 + "!"  # the territorial row: Aleppo, 28 November
    events = write_acled(tmp_path / "evil.csv", rows)
    actors = tmp_path / "actors.csv"
    # The first pattern fails after (with re) 2^60 steps; the second then matches.
    actors.write_text(f"pattern,controller\n{EVIL},hts\n!$,sna\n", encoding="utf-8")
    proc = _cli("--events", str(events), "--actors", str(actors), "history", "aleppo", "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    assert "2024-11-28" in proc.stdout.decode() and ",sna," in proc.stdout.decode()


def test_the_matcher_is_first_match_wins_and_case_insensitive():
    m = usertimeline.read_actors(b"pattern,controller\n(a+)+$,hts\n!$,sna\n^AA,government\n", "m.csv")
    assert m.controller("aaaa!") == "sna"  # a long 'aaa…!' runs in a subprocess above (re would hang here)
    assert m.controller("aaaa") == "hts"  # both match: the first row wins
    assert m.controller("AAb") == "government"
    assert m.controller("zzz") is None
    shipped = usertimeline.read_actors()
    assert shipped.controller("Hayat Tahrir al-Sham") == "hts"
    assert shipped.controller("Islamic State (Syria)") == "none"  # no side on this map (seeds/actors.csv)


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        # RE2 refuses what it cannot run in linear time; re would take these.
        ("(a)\\1,hts", "line 3: column 'pattern': '(a)\\\\1' is not a pattern RE2 accepts (invalid escape sequence"),
        ("(?=a)b,hts", "line 3: column 'pattern': '(?=a)b' is not a pattern RE2 accepts (invalid perl operator"),
        ("a" * 301 + ",hts", "is 301 characters long; the limit is 300"),
    ],
)
def test_a_refused_pattern_is_one_line_naming_file_line_and_pattern(row, needle, tmp_path, acled_file):
    actors = tmp_path / "my-actors.csv"
    actors.write_text(f"pattern,controller\nHayat,hts\n{row}\n", encoding="utf-8")
    proc = _cli("--events", str(acled_file), "--actors", str(actors), "stats")
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2 and len(err.splitlines()) == 1, err
    assert err.startswith(f"error: {actors}: ") and needle in err, err


def test_pattern_count_is_limited_and_extra_columns_are_kept_out():
    ok = "pattern,controller,note,source\n" + "".join(f"^x{k}$,hts,a note,src\n" for k in range(1000))
    assert len(usertimeline.read_actors(ok.encode(), "big.csv").rules) == settings.ACTOR_PATTERNS_MAX
    with pytest.raises(usertimeline.TimelineFileError, match=r"^big\.csv: line 1002: is one pattern too many"):
        usertimeline.read_actors((ok + "^y$,sna,,\n").encode(), "big.csv")


@pytest.fixture(scope="module")
def acled_file(tmp_path_factory, ds):
    return write_acled(tmp_path_factory.mktemp("acled") / "acled-fixture.csv", acled_rows(ds))


# --- build --out: never replaces a directory it did not write --------------------------------------


@pytest.mark.parametrize("kind", ["docs-like", "file"])
def test_build_out_refuses_what_build_did_not_write(kind, tmp_path):
    target = tmp_path / "docs"
    if kind == "file":
        target.write_text("precious", encoding="utf-8")
    else:
        target.mkdir()
        (target / "deploy.md").write_text("precious", encoding="utf-8")
        (target / "sub").mkdir()
    proc = _cli("build", "--out", str(target), "--quiet")
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2 and len(err.splitlines()) == 1, err
    assert err.startswith(f"error: build --out {target}: that ") and "Traceback" not in err
    if kind == "file":
        assert target.read_text(encoding="utf-8") == "precious"
    else:
        assert (target / "deploy.md").read_text(encoding="utf-8") == "precious" and (target / "sub").is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs"]  # nothing set aside, nothing left over


def test_build_replaces_its_own_output_and_marks_it(tmp_path, fresh_geodata):
    from territory import build

    target = tmp_path / "layers"
    shutil.copytree(fresh_geodata, target)  # a build's output (into an empty directory: tests/test_build.py)
    assert (target / build.MARKER).is_file()
    (target / "stale.geojson").write_text("{}", encoding="utf-8")
    build.build(out_dir=target)  # its own output: replaced whole
    assert (target / build.MARKER).is_file() and not (target / "stale.geojson").exists()
    assert (ROOT / "geodata" / build.MARKER).is_file()  # the committed geodata/ is the build's too


# --- spreadsheet formulas: uploads are data, every CSV written is neutralised ----------------------

PAYLOADS = [
    "=cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
]


def _cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


def _safe(cell: str) -> bool:
    """Not run by a spreadsheet: no formula start, unless it is a number (``-3.5``)."""
    if not cell.startswith(csvout.FORMULA_START):
        return True
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_formula_cells_load_and_every_csv_written_neutralises_them(tmp_path):
    places = ["aleppo", "hamah", "idlib", "homs", "saraqib"]
    notes = [*PAYLOADS, "- On 29 November, fighters entered the town."]  # an ordinary note, once refused
    events = tmp_path / "formulas.csv"
    with events.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["date", "place_id", "controller", "kind", "source_id", "note"])
        for k, (place, note) in enumerate(zip(places, notes, strict=True)):
            w.writerow([f"2024-11-{28 + k % 3}", place, "hts", "captured", PAYLOADS[k % 4], note])
    written = []
    for place in places:
        proc = _cli("--events", str(events), "history", place, "--format", "csv")
        assert proc.returncode == 0, proc.stderr
        written.append(proc.stdout.decode())
    proc = _cli("--events", str(events), "export", "events", "--format", "csv", "-o", "-")
    assert proc.returncode == 0, proc.stderr
    written.append(proc.stdout.decode())
    zipped = tmp_path / "all.zip"
    assert _cli("--events", str(events), "export", "all", "-o", str(zipped)).returncode == 0
    with zipfile.ZipFile(zipped) as z:
        csvs = [n for n in z.namelist() if n.endswith(".csv")]
        assert csvs
        written += [z.read(n).decode("utf-8") for n in csvs]
    cells = [c for text in written for c in _cells(text)]
    assert [c for c in cells if not _safe(c)] == []
    for payload in notes:  # each reached the output, as text a spreadsheet shows
        assert "'" + payload in cells, payload


def test_stats_csv_neutralises_text_and_keeps_numbers(ds):
    result = stats.stats(ds, ds.end_date, [10])
    result["buffers"][0]["proposals"] = PAYLOADS[:2]
    result["buffers"][0]["sites"] = [PAYLOADS[3]]
    result["buffers"][0]["area_km2"] = -12.5  # a negative number stays a number
    rows = list(csv.DictReader(io.StringIO(stats.stats_csv(result))))
    assert rows[0]["proposals"] == "'" + "; ".join(PAYLOADS[:2])
    assert rows[0]["sites"] == "'" + PAYLOADS[3]
    assert rows[0]["area_km2"] == "-12.5"


def test_the_rule_is_owasps():
    for text in [*PAYLOADS, "\t=1+1", "\r=1+1", "-", "+", "=", "@"]:
        assert csvout.cell(text) == "'" + text
    for value in ["On 3 December", "Aleppo", "", "'=already quoted", -3.5, -2, 0, None]:
        assert csvout.cell(value) == value
    assert csvout.frame_csv(pd.DataFrame({"t": ["=1"], "n": [-1.5]})) == "t,n\n'=1,-1.5\n"


# --- what a visitor supplies reaches the page as text ----------------------------------------------

HOSTILE = [
    "**bold**",
    "<img src=x onerror=alert(1)>",
    "[link](javascript:alert(1))",
    "$x$",
    ":red[x]",
    ":smile:",
    "<b>b</b>",
]


def _hostile_upload(ds) -> bytes:
    """An ACLED file whose locations, notes and one unmapped actor are the corpus, all on 3 December."""
    template = acled_rows(ds)[0]  # a new place in the desert, handed over on 3 December
    lon, lat = float(template["longitude"]), float(template["latitude"])
    rows = []
    for k, text in enumerate(HOSTILE):
        r = dict(template, event_id_cnty=f"SYR77{k}", location=text, notes=text)
        r.update(latitude=str(round(lat + 0.01 * k, 4)), longitude=str(round(lon + 0.01 * k, 4)))
        rows.append(r)
    rows[-1]["actor1"] = HOSTILE[0]  # no side: listed by the page as an actor left out
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(template), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def test_hostile_names_through_the_upload_show_literally(page, server, ds):  # noqa: F811
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{server}/?date=2024-12-03&layers=zones,points,events")
    page.frame_locator(MAP_FRAME).first.locator("path.territory-date-2024-12-03").first.wait_for(
        state="attached", timeout=60_000
    )
    name = " ".join(HOSTILE[:5]) + ".csv"  # the file's name is the visitor's too
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": _hostile_upload(ds)}
    )
    page.get_by_text("Your timeline:").first.wait_for(timeout=120_000)
    page.get_by_text("transfer of territory at").first.wait_for(timeout=60_000)  # the day panel lists the notes
    text = page.locator("section.main, [data-testid='stMain']").first.inner_text()
    sidebar = page.locator("[data-testid='stSidebar']").first.inner_text()
    missing = [s for s in HOSTILE if s not in text]
    assert missing == [], text  # shown as typed: nothing interpreted
    assert name in text  # the banner names the file as text
    assert HOSTILE[0] in sidebar or HOSTILE[0] in text
    markup = page.evaluate(
        """() => ({
        strong: [...document.querySelectorAll('strong, b')].map(e => e.textContent).filter(t => /^(bold|b)$/.test(t)),
        img: document.querySelectorAll('img[src="x"]').length,
        js: document.querySelectorAll('a[href^="javascript"]').length,
        math: document.querySelectorAll('.katex, math').length,
        smile: document.body.innerText.includes('\\u{1F604}'),
    })"""
    )
    assert markup == {"strong": [], "img": 0, "js": 0, "math": 0, "smile": False}, markup
    assert dialogs == [] and page.page_errors == []


# --- no request leaves the server ------------------------------------------------------------------

NET_HOOK = """
import os, socket

_LOG = os.environ["TERRITORY_NET_LOG"]


def _local(host):
    host = str(host)
    return host in ("", "localhost", "::1", "0.0.0.0", "::") or host.startswith("127.")


def _note(kind, what):
    with open(_LOG, "a", encoding="utf-8") as fh:
        fh.write(f"{kind} {what!r}\\n")


_connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo


def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
        _note("connect", address)
    return _connect(self, address)


def connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
        _note("connect", address)
    return _connect_ex(self, address)


def getaddrinfo(host, *args, **kwargs):
    if host is not None and not _local(host.decode() if isinstance(host, bytes) else host):
        _note("getaddrinfo", host)
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
"""


def _ws_handshake(port: int, origin: str) -> bytes:
    """Open the app's WebSocket with an Origin header (as a page of another site would) and return the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(
            (
                f"GET /_stcore/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n"
            ).encode()
        )
        return s.recv(200)


@pytest.mark.parametrize("command", ["serve", "streamlit run"])
def test_serve_sends_no_request_out_at_start_or_while_serving(command, tmp_path):
    # Every connect() and name lookup of the server process goes to a log (a sitecustomize hook);
    # the server is started as `python -m territory serve` is, with no --server.address (the
    # default that makes Streamlit look up its external IP). A plain `streamlit run dashboard.py`
    # is covered at start-up (.streamlit/config.toml); another site's socket before its first page
    # would still make it look (the deploy notes say to use serve).
    (tmp_path / "sitecustomize.py").write_text(NET_HOOK, encoding="utf-8")
    log = tmp_path / "net.log"
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT / 'src'}",
        "TERRITORY_NET_LOG": str(log),
    }
    run = ["territory", "serve"] if command == "serve" else ["streamlit", "run", "dashboard.py"]
    args = [sys.executable, "-m", *run, "--server.port", str(port), "--server.headless", "true"]
    out = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                assert proc.poll() is None, (tmp_path / "serve.log").read_text()
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as r:
            assert r.status == 200
        assert b" 101 " in _ws_handshake(port, f"http://127.0.0.1:{port}")  # the page's own socket
        if command == "serve":
            assert b" 101 " not in _ws_handshake(port, "https://evil.example")  # another site's page: refused
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        out.close()
    served = (tmp_path / "serve.log").read_text(encoding="utf-8", errors="replace")
    assert "You can now view" in served and "External URL" not in served and "external IP" not in served
    assert not log.exists(), log.read_text(encoding="utf-8")


# --- uploads: a process-wide memory budget, read in a worker with memory and time limits ----------


@pytest.fixture
def fresh_uploads():
    uploads._SHARED.clear()
    gc.collect()
    assert uploads.LEDGER.total() == 0
    yield
    uploads._SHARED.clear()
    gc.collect()


def test_the_budget_refuses_an_upload_and_gives_memory_back(ds, acled_file, fresh_uploads, monkeypatch):
    data = acled_file.read_bytes()
    first = uploads.load_upload(ds, data, "one.csv")
    held = uploads.LEDGER.total()  # what one small upload holds (at least 1 MB); a reading reserves 8 MB
    assert held >= 2**20 and uploads.LEDGER.held() == 1
    # Room for one more reading, not for two more uploads held.
    monkeypatch.setenv("TERRITORY_UPLOAD_BUDGET_MB", str(math.ceil((held + 8 * 2**20) / 2**20)))
    second = uploads.load_upload(ds, data, "two.csv")
    assert uploads.LEDGER.held() == 2
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.load_upload(ds, data, "three.csv")
    assert str(refused.value) == (
        "the server holds too many uploaded timelines now; try again later, or run it on your machine with `--events`"
    )
    assert first.origin["file"] == "one.csv" and second.origin["file"] == "two.csv"  # the others are untouched
    assert uploads.load_upload(ds, data, "one.csv") is first  # shown elsewhere: reused, not read again
    del first  # its session ended (or went back to the built-in timeline); no explicit collection:
    third = uploads.load_upload(ds, data, "three.csv")  # its share is given back before refusing
    assert third.origin["file"] == "three.csv"
    del second, third
    gc.collect()
    assert uploads.LEDGER.total() == 0 and len(uploads._SHARED) == 0


def test_an_uploads_cache_is_bounded_and_counted_in_the_budget(ds, acled_file, fresh_uploads, monkeypatch):
    """An uploaded timeline's memoised results are bounded by their own setting, and its budget share counts the bound.

    Else each upload's cache could grow to the built-in timeline's ``CACHE_MAX_BYTES`` outside the budget.
    """
    assert uploads.Limits.current().cache_mb == settings.UPLOAD_CACHE_MB
    assert settings.UPLOAD_CACHE_MB * 2**20 < settings.CACHE_MAX_BYTES
    data = acled_file.read_bytes()
    monkeypatch.setenv("TERRITORY_UPLOAD_CACHE_MB", "3")
    small = uploads.load_upload(ds, data, "small.csv")
    assert small.cache_max_bytes == 3 * 2**20 and ds.cache_max_bytes == settings.CACHE_MAX_BYTES
    for i in range(10):
        small.cached(("probe", i), lambda: bytearray(2**20))  # 1 MB each
        assert small.cache_bytes <= 3 * 2**20
    one = uploads.LEDGER.total()
    monkeypatch.setenv("TERRITORY_UPLOAD_CACHE_MB", "40")
    large = uploads.load_upload(ds, data, "large.csv")  # the same rows under another name: read again
    assert large.cache_max_bytes == 40 * 2**20
    two = uploads.LEDGER.total() - one
    assert abs(two - one - 37 * 2**20) < 2**16  # the shares differ by the bounds (and the names' few bytes)
    del small, large


@pytest.fixture(scope="module")
def rows_20k(tmp_path_factory) -> bytes:
    big = tmp_path_factory.mktemp("big") / "big.csv"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "make_acled.py"), "-o", str(big), "--rows", "20000", "--days", "400"],
        check=True,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    return big.read_bytes()


def test_an_upload_is_read_in_a_worker_with_a_memory_limit(ds, rows_20k, fresh_uploads, monkeypatch):
    monkeypatch.setenv("TERRITORY_UPLOAD_WORKER_MB", "32")  # 20,000 rows need more to be read
    with pytest.raises(uploads.UploadRefused, match=r"^big\.csv: .*memory.*run it on your machine with `--events`"):
        uploads.load_upload(ds, rows_20k, "big.csv")
    assert uploads.LEDGER.total() == 0  # the reservation is given back


def test_an_upload_is_read_in_a_worker_with_a_time_limit(ds, rows_20k, fresh_uploads, monkeypatch):
    monkeypatch.setenv("TERRITORY_UPLOAD_TIMEOUT_S", "1")  # 20,000 rows take several seconds to read
    with pytest.raises(uploads.UploadRefused, match=r"^big\.csv: took longer than 1 s to read"):
        uploads.load_upload(ds, rows_20k, "big.csv")
    assert uploads.LEDGER.total() == 0


def test_a_deferred_download_does_not_keep_an_upload_alive(ds, acled_file):
    user = usertimeline.load_bytes(ds, acled_file.read_bytes(), "mine.csv")
    make = uploads.deferred(lambda d, n: (d.origin["file"], n), user, 3)
    assert make() == ("mine.csv", 3)  # while the session shows it
    alive = weakref.ref(user)
    del user
    gc.collect()
    assert alive() is None  # the page's download button alone does not hold it
    with pytest.raises(uploads.UploadRefused, match="no longer held"):
        make()


def test_the_page_refuses_an_upload_past_the_budget_and_keeps_the_timeline(browser, ds, tmp_path):  # noqa: F811
    """Through the page: a second visitor's upload past the budget is refused in one line; both keep theirs."""
    data = write_acled(tmp_path / "a.csv", acled_rows(ds)).read_bytes()
    # One small upload holds about 1 MB and a reading reserves 8 MB: room for one upload, not two.
    env = {"TERRITORY_UPLOAD_BUDGET_MB": "9"}
    with streamlit_server(env=env, log=tmp_path / "server.log", serve=True) as (url, _pid):
        pages = []
        for name in ("first.csv", "second.csv"):
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            page.goto(url)
            # The first run drawn whole (its map), as the other upload tests wait: a file given while
            # that run is still going could be lost on a loaded machine (the banner never came, once).
            page.frame_locator(MAP_FRAME).first.locator("path.territory-zone").first.wait_for(
                state="attached", timeout=120_000
            )
            page.get_by_text("Your timeline").first.wait_for(timeout=120_000)
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
                {"name": name, "mimeType": "text/csv", "buffer": data}
            )
            pages.append(page)
            if name == "first.csv":
                page.get_by_text("Your timeline: first.csv").first.wait_for(timeout=120_000)
        refused = pages[1].get_by_text("the server holds too many uploaded timelines now").first
        refused.wait_for(timeout=120_000)
        assert "try again later, or run it on your machine with `--events`" in refused.inner_text()
        assert "still showing the built-in timeline" in refused.inner_text()
        assert pages[1].get_by_text("Your timeline:").count() == 0  # the second visitor keeps the built-in one
        assert pages[0].get_by_text("Your timeline: first.csv").count() == 1  # the first is undisturbed
        for page in pages:
            page.context.close()
