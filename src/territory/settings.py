"""Project-wide settings: paths, coordinate reference systems, column names and controllers.

Every module and test imports names from here instead of repeating string literals.

Files
-----
Inside a checkout (an editable install, or ``PYTHONPATH=src``), :data:`PROJECT_ROOT` is the checkout
and every file below is the checkout's own. In an installed wheel (``pip install .``, ``pipx``) it is
the package's copy of those files, ``territory/_data/``, put there by the build hook in ``setup.py``
and found through :mod:`importlib.resources`: ``geodata/``, ``seeds/``, ``static/``,
``vendor/osm/outlines.geojson``, ``dashboard.py`` and ``.streamlit/config.toml``. That copy is
read-only: ``build`` and ``outlines`` refuse to write into it.

Settings
--------
TERRITORY_GEODATA : environment variable
    Directory of the generated layers (default: ``PROJECT_ROOT/geodata``).
TERRITORY_SEEDS : environment variable
    Directory of the hand-curated seed files (default: ``PROJECT_ROOT/seeds``).
TERRITORY_CACHE : environment variable
    Download cache for the open-data packages (default: ``~/.cache/territory``).
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGE_DATA = "_data"  # the installed package's copy of the checkout's files (see setup.py)


def _project_root() -> tuple[Path, bool]:
    """The checkout holding this package's sources, else the installed package's data folder."""
    checkout = _PACKAGE_DIR.parents[1]
    if (checkout / "pyproject.toml").is_file() and (checkout / "src" / "territory") == _PACKAGE_DIR:
        return checkout, True
    # pip and pipx install the package as files, so its resources are plain paths.
    return Path(str(importlib.resources.files(__package__ or "territory").joinpath(PACKAGE_DATA))), False


PROJECT_ROOT, IN_CHECKOUT = _project_root()
DASHBOARD_SCRIPT = PROJECT_ROOT / "dashboard.py"
# Streamlit serves the static/ folder next to the script it runs (server.enableStaticServing).
STATIC_DIR = PROJECT_ROOT / "static"
OUTLINES_FILE = PROJECT_ROOT / "vendor" / "osm" / "outlines.geojson"


def in_installed_package(path: Path) -> bool:
    """True when ``path`` lies in the installed package, which no command writes (outside a checkout)."""
    return not IN_CHECKOUT and Path(path).resolve().is_relative_to(_PACKAGE_DIR)


def _path_from_env(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else default


def geodata_dir() -> Path:
    """Directory that holds the generated layers (``TERRITORY_GEODATA`` overrides it)."""
    return _path_from_env("TERRITORY_GEODATA", PROJECT_ROOT / "geodata")


def seeds_dir() -> Path:
    """Directory that holds the seed files (``TERRITORY_SEEDS`` overrides it)."""
    return _path_from_env("TERRITORY_SEEDS", PROJECT_ROOT / "seeds")


def cache_dir() -> Path:
    """Download cache of the open-data packages (``TERRITORY_CACHE`` overrides it)."""
    return _path_from_env("TERRITORY_CACHE", Path.home() / ".cache" / "territory")


# Coordinate reference systems.
CRS_WGS84 = "EPSG:4326"
CRS_METRIC = "EPSG:32637"  # UTM zone 37N: distances and buffers along the Turkey–Syria border
CRS_EQUAL_AREA = "EPSG:6933"  # WGS 84 / NSIDC EASE-Grid 2.0 Global: areas

# A place (GeoNames or seeds/places.csv) may lie this far outside the generalised outline of Syria
# (border towns, the coast); GeoNames places farther out are left out and listed, seed places refused.
MAX_OUTSIDE_KM = 2.0

METRES_PER_MILE = 1609.344
SQ_M_PER_SQ_KM = 1_000_000.0
COORD_DECIMALS = 6  # RFC 7946 §11.2: ~10 cm, plenty for this map
GRID_SIZE = 10.0**-COORD_DECIMALS

# The timeline.
BASELINE_DATE = dt.date(2024, 11, 26)  # the day before the offensives
TIMELINE_MIN_END = dt.date(2024, 12, 12)

# Controllers (fixed ids), in legend order.
GOVERNMENT = "government"
HTS = "hts"
SNA = "sna"
SDF = "sdf"
ISRAEL = "israel"  # the occupied Golan (since 1967) and the incursion from 8 December 2024
CONTESTED = "contested"
CONTROLLERS: tuple[str, ...] = (GOVERNMENT, HTS, SNA, SDF, ISRAEL, CONTESTED)
CONTROLLER_LABELS = {
    GOVERNMENT: "Syrian government and allies",
    HTS: "HTS-led opposition (and allied rebels)",
    SNA: "Turkish-backed SNA (with Turkish forces)",
    SDF: "Kurdish-led SDF",
    ISRAEL: "Israel (occupied Golan; incursion from 8 Dec)",
    CONTESTED: "Contested / fighting",
}
CONTROLLER_SHORT = {
    GOVERNMENT: "Government",
    HTS: "HTS-led",
    SNA: "SNA",
    SDF: "SDF",
    ISRAEL: "Israel",
    CONTESTED: "Contested",
}
# Common convention of Syrian control maps (government red, SDF yellow, SNA light green, HTS-led
# opposition a distinct grey-green), and an Okabe–Ito palette that stays apart for colour-blind readers.
PALETTES: dict[str, dict[str, str]] = {
    "conventional": {
        GOVERNMENT: "#d7301f",
        HTS: "#5a7d5a",
        SNA: "#8fd16a",
        SDF: "#f2d22e",
        ISRAEL: "#4a78c2",
        CONTESTED: "#9e9e9e",
    },
    "colour-blind safe": {
        GOVERNMENT: "#d55e00",
        HTS: "#0072b2",
        SNA: "#009e73",
        SDF: "#f0e442",
        ISRAEL: "#cc79a7",
        CONTESTED: "#999999",
    },
}

PLACE_KINDS: tuple[str, ...] = (
    "city",
    "town",
    "village",
    "air_base",
    "military_site",
    "infrastructure",
    "border_crossing",
    "foreign_base",
)
SITE_KINDS: tuple[str, ...] = ("air_base", "military_site", "infrastructure", "border_crossing", "foreign_base")
EVENT_KINDS: tuple[str, ...] = ("captured", "entered", "withdrawn", "contested", "handed_over")
# Event kinds that leave a place contested rather than changing its holder.
CONTESTING_EVENT_KINDS: frozenset[str] = frozenset({"entered", "contested"})
# An event that changes nothing (an ACLED row that is not territorial): shown, with its source.
REPORT_KIND = "report"
# Largest events file the command line and the page take (MB): 100,000 ACLED rows are 50 to 70 MB.
USER_TIMELINE_MAX_MB = 100
# Actor patterns (RE2, linear time; territory.actormatch): at most this many rows in one mapping file,
# each at most this long, and RE2's memory for one pattern / for all of a mapping's patterns at once.
ACTOR_PATTERNS_MAX = 1000
ACTOR_PATTERN_MAX_CHARS = 300
ACTOR_PATTERN_MAX_MEM = 8 * 2**20
ACTOR_PATTERNS_MAX_MEM = 64 * 2**20
# Uploads on a shared server (territory.uploads; each overridden by the TERRITORY_UPLOAD_* variable of
# the same name): memory all uploaded timelines may hold at once, process-wide (a 100,000-row ACLED
# export shown in a page adds ~230 MB; the default suits a 2-core, 4 GB host: base process ~0.4 GB +
# the budget + one reading worker ~0.7 GB), the memory and time one reading may take in its worker,
# and workers at once; and the memoised results (zones, frames, stats…) each uploaded timeline may keep,
# counted in the budget with it (the built-in timeline keeps up to CACHE_MAX_BYTES).
UPLOAD_BUDGET_MB = 1500
UPLOAD_WORKER_MB = 1536
UPLOAD_TIMEOUT_S = 180
UPLOAD_WORKERS = 1
UPLOAD_CACHE_MB = 64
PROPOSAL_STATUSES: tuple[str, ...] = ("agreed", "offered", "demanded", "de-facto", "proposed")

GOVERNORATES: tuple[str, ...] = (
    "Aleppo",
    "Idlib",
    "Hama",
    "Homs",
    "Latakia",
    "Tartus",
    "Damascus",
    "Rif Dimashq",
    "Daraa",
    "Suwayda",
    "Quneitra",
    "Raqqa",
    "Deir ez-Zor",
    "Hasakah",
)

# Place names on the map: the governorate capitals always (place ids), the other towns and villages
# as the reader zooms in, the most populous first (GeoNames population -> the zoom they appear at).
LABEL_CAPITALS: tuple[str, ...] = (
    "aleppo", "damascus", "homs", "latakia", "hamah", "idlib", "deir-ez-zor",
    "ar-raqqah", "al-hasakah", "tartus", "dara", "as-suwayda",
)  # fmt: skip
LABEL_ZOOMS: tuple[tuple[int, float], ...] = ((100_000, 6.5), (40_000, 7.5), (15_000, 8.5), (3_000, 9.5), (0, 10.5))
LABEL_KINDS: tuple[str, ...] = ("city", "town", "village")
# The date the page opens on when the URL names none: 30 Nov 2024, the day Aleppo fell (rebels held
# most of the city and the army said it had withdrawn), the offensive's turning point.
OPENING_DATE = dt.date(2024, 11, 30)

DEFAULT_DEPTHS_MILES: tuple[float, ...] = (3, 6, 10, 22, 30)
MIN_DEPTH_MILES = 0.5
MAX_DEPTH_MILES = 60.0
DEPTH_STEP_MILES = 0.5  # depths are rounded to this, so a visitor cannot make endless distinct bands
MAX_BANDS = 12  # bands compared at once, in every path (CLI, URL, sidebar)

# Bytes of memoised results (zones, bands, frames…) one dataset keeps at most; least recently used go first
# (an uploaded timeline keeps at most UPLOAD_CACHE_MB).
CACHE_MAX_BYTES = 256 * 1024 * 1024  # a full day of the default view holds about 0.4 MB

# The map (used by the dashboard, the URL state and the map data; ids are those of the URL).
MAP_LAYERS: dict[str, str] = {
    "zones": "Control zones",
    "changes": "Changed hands (since the day before, or the date compared)",
    "points": "Control points (places)",
    "events": "Events",
    "villages": "Northern-Hama villages",
    "sites": "Military & infrastructure sites",
    "buffers": "Buffer bands",
}
DEFAULT_MAP_LAYERS: tuple[str, ...] = tuple(MAP_LAYERS)
PALETTE_DEFAULT = "conventional"
SITE_SYMBOLS = {
    "air_base": "✈",
    "military_site": "★",
    "infrastructure": "⚡",
    "border_crossing": "⇄",
    "foreign_base": "⚑",
}
BAND_COLOURS = ("#111111", "#4b2991", "#872ca2", "#c0369d", "#ea4f88", "#fa7876", "#f6a97a")

# Hosts that serve copies of other publishers' pages: Wikipedia mirrors and machine translations,
# web proxies, IPFS gateways, archives and reposts. A source's ``url`` in seeds/sources.csv must be
# the publisher's own page (so a reader lands where the citation says); the copy actually read goes in
# ``retrieved_from``. A host matches itself and its subdomains. Raw IP addresses and any host with an
# ``ipfs``/``ipns`` label are refused too (see ``territory.seeds.mirror_host``).
MIRROR_HOSTS: tuple[str, ...] = (
    # Wikipedia mirrors, dumps and summaries
    "wiki.av1.space",
    "edgio.link",
    "iiab.me",
    "wikipedia-on-ipfs.org",
    "wiki.1209k.com",
    "profilpelajar.com",
    "wiki.x.io",
    "askwikinow.com",
    "bestencyclopedia.com",
    "kiwix.casplantje.nl",
    "wiki-gateway.eudic.net",
    "wikimili.com",
    "wikisum.wiki",
    "wikizero.net",
    "wikizero.org",
    "wikiwand.com",
    "friendlywiki.com",
    "goodnames.eth.link",
    "kihulane.eu",
    "mediated.wiki",
    "profilbaru.com",
    "artikeldigital.com",
    "defzone.net",
    "rbzcoin.cc",
    "muhtawa.org",
    "review.clateway.com",
    "wiki.studentb.eu",
    "wiki.riteme.site",
    "wikiclassic.com",
    "debianws.lexgopc.com",
    "hessslslslsls.azureedge.net",
    # machine translations of Wikipedia
    "qaz.wiki",
    "xcv.wiki",
    "frwiki.wiki",
    "wikial.top",
    "perceptiode.com",
    "jablog.org",
    "wikiland.org",
    "jmediawiki.org",
    # proxies, gateways, caches and archives
    "workers.dev",
    "global.ssl.fastly.net",
    "arietiform.com",
    "movatter.jp",
    "netlify.app",
    "dweb.link",
    "ipfs.io",
    "translate.goog",
    "cortex-media.info",
    "web.archive.org",
    "archive.ph",
    "archive.today",
    "archive.is",
    "odvt.org",
    # reposts of other publishers' articles
    "warstudiescentre.co.uk",
    "theexpressnewstoday.com",
    "uprootedpalestinians.wordpress.com",
    "mesopotamia.coop",
    "plawiuk.blogspot.com",
    "listserve.net",
    "smiblog.org",
    "cbnewz.com",
    "usmuslims.com",  # Anadolu reports
    "aanes-rep-eu.com",  # North Press reports
    "news.dayfr.com",  # an aggregator
    "news-pravda.com",  # aggregates Telegram channels (ukraine.news-pravda.com, …)
)

# Layer names (the interface contract: README, Command line).
LAYER_SYRIA = "syria"
LAYER_BORDER = "border"
LAYER_GOVERNORATES = "governorates"
LAYER_PLACES = "places"
LAYER_HAMA_VILLAGES = "hama-villages"
LAYER_SITES = "sites"
LAYER_BUFFERS = "buffers"
LAYER_CONTROL_POINTS = "control-points"
LAYER_CONTROL_ZONES = "control-zones"
LAYER_CHANGES = "changes"
LAYER_EVENTS = "events"
LAYER_CONTROL_CELLS = "control-cells"
LAYER_TIMELINE = "timeline"
LAYERS: tuple[str, ...] = (
    LAYER_SYRIA,
    LAYER_BORDER,
    LAYER_GOVERNORATES,
    LAYER_PLACES,
    LAYER_HAMA_VILLAGES,
    LAYER_SITES,
    LAYER_BUFFERS,
    LAYER_CONTROL_POINTS,
    LAYER_CONTROL_ZONES,
    LAYER_CHANGES,
    LAYER_EVENTS,
    LAYER_CONTROL_CELLS,
    LAYER_TIMELINE,
)
# Layers that do not depend on the date: written once by the build.
STATIC_LAYERS: tuple[str, ...] = (
    LAYER_SYRIA,
    LAYER_BORDER,
    LAYER_GOVERNORATES,
    LAYER_PLACES,
    LAYER_HAMA_VILLAGES,
    LAYER_SITES,
)
