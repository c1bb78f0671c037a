"""Start-up work of a served dashboard: preload before the first visitor, warm caches after it.

``python -m territory serve`` runs :func:`run`: libraries imported and ``geodata/`` read before the
server listens, then ``streamlit run dashboard.py``. The dashboard starts :func:`warm_in_background`
once per process.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from territory import settings
from territory._errors import UsageError
from territory.data import Dataset

DASHBOARD = settings.DASHBOARD_SCRIPT
WARM_DELAY_S = 3.0  # after the first page, long enough for its map to load
WARM_PAUSE_S = 0.05
WARM_MAX_DATES = 120


def preload() -> None:
    """Import the dashboard's libraries and load the default dataset now.

    With ``serve --events``, the events file's dataset: a bad file stops the command with its
    one-line error, before the server starts.

    Raises :class:`territory._errors.DataError` when geodata/ is missing or broken.
    """
    # Not Streamlit itself: loading its configuration before `streamlit run` parses the command line
    # would make it warn that the server options changed.
    import folium  # noqa: F401

    from territory import appstate, layers, mapdata, mapview, stats, uploads, usertimeline, viewmodel  # noqa: F401

    ds = uploads.process_dataset()
    if ds.origin:
        print(f"territory: timeline {usertimeline.summary_of(ds)}", file=sys.stderr, flush=True)
        mapdata.base_data(ds)
    else:
        mapdata.base_uses_static_file(ds)


def run(
    options: Sequence[str],
    script: Path = DASHBOARD,
    geodata: Path | None = None,
    events: Path | None = None,
    actors: Path | None = None,
) -> int:
    """``streamlit run script OPTIONS`` in this process, after :func:`preload` (the CLI's ``serve``).

    ``events`` (and ``actors``): the page starts on that events file's timeline instead of the built-in one.
    """
    from territory import uploads

    if not script.is_file():
        msg = (
            f"{script} is missing: serve runs the dashboard of a checkout or of a package installed from its wheel "
            "(pip install .)"
        )
        raise UsageError(msg)
    if geodata is not None:
        os.environ["TERRITORY_GEODATA"] = str(geodata)
    for var, path in ((uploads.ENV_EVENTS, events), (uploads.ENV_ACTORS, actors)):
        if path is not None:
            os.environ[var] = str(path)
    env_vars = (
        "TERRITORY_GEODATA",
        "TERRITORY_SEEDS",
        "TERRITORY_CACHE",
        uploads.ENV_EVENTS,
        uploads.ENV_ACTORS,
    )
    for var in env_vars:  # keep them valid after chdir
        if os.environ.get(var):
            os.environ[var] = str(Path(os.environ[var]).resolve())
    # The checkout, or the installed package's copy of it: .streamlit/config.toml is read from the
    # current folder, and static/ is served from the script's folder (the same one).
    os.chdir(settings.PROJECT_ROOT)
    print(f"territory: loading libraries and geodata/ ({settings.geodata_dir()}) …", file=sys.stderr, flush=True)
    preload()
    from streamlit.web import cli as streamlit_cli

    no_outbound_lookups()
    sys.argv = ["streamlit", "run", str(script), *options]
    return streamlit_cli.main()


def no_outbound_lookups() -> None:
    """Stop Streamlit from asking the network for this machine's addresses (no request leaves the server).

    Streamlit looks up its external IP with an HTTP request to checkip.amazonaws.com (and its
    internal one with a UDP ``connect`` to 8.8.8.8) for the URLs it prints at start-up, which
    ``browser.serverAddress`` in ``.streamlit/config.toml`` skips, and again for *every* WebSocket
    whose Origin is another site, to see whether that site is this machine: any web page a visitor
    opens could make the server send requests (two blocking 1-second attempts each time, as a
    failed lookup is not remembered). Both answers are set here, once, to "none" and loopback, so
    Streamlit never asks; a cross-origin page is still refused, as its host is not this server's.
    """
    from streamlit import net_util  # the library imports no UI: only the server's start-up comes here

    # Private module state of Streamlit (pinned in requirements.txt); tests/test_safety.py records
    # every connection of a served dashboard, so a Streamlit that renames these fails there.
    if net_util._external_ip is None:
        net_util._external_ip = ""
    if net_util._internal_ip is None:
        net_util._internal_ip = "127.0.0.1"


def warm_caches(
    ds: Dataset, depths: Sequence[float], shown: Iterable[str], palette_name: str | None = None, pause: float = 0.0
) -> None:
    """Compute every date's zones, changes, statistics and map frame for the default view.

    ``pause`` seconds are slept between dates, so a server warming up keeps answering its first
    visitor's requests (the page's scripts are served by the same process).
    """
    from territory import control, mapdata, stats

    if len(ds.dates) > WARM_MAX_DATES:
        return  # a long timeline (an events file): dates are computed when shown, and kept while used
    for date in ds.dates:
        time.sleep(pause)
        since = date - dt.timedelta(days=1) if date > ds.baseline_date else None
        control.control_zones(ds, date)
        if since is not None:
            control.changes(ds, since, date)
        stats.stats(ds, date, depths)
        mapdata.frame_data(ds, date, depths, shown, palette_name)


_WARMED: set[str] = set()


def warm_in_background(ds: Dataset, depths: Sequence[float], shown: Iterable[str]) -> None:
    """Start :func:`warm_caches` once per dataset, a few seconds later, in a daemon thread.

    The delay and the pauses keep the first visitor's page quick: while its browser loads the
    page's scripts from this process, the warming would compete with them for the interpreter.
    """
    if ds.identity in _WARMED:
        return
    _WARMED.add(ds.identity)
    timer = threading.Timer(WARM_DELAY_S, warm_caches, args=(ds, depths, shown), kwargs={"pause": WARM_PAUSE_S})
    timer.name = "territory-warm"
    timer.daemon = True
    timer.start()
