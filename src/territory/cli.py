"""The command line: ``python -m territory build | layers | export | stats | check | publish | serve``.

Errors a user can fix (unknown layer, bad date, bad depths, seed problems, missing data) exit with
status 2 and a one-line message (seed problems: one line each), never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from territory import buffers, settings
from territory._errors import SeedValidationError, TerritoryError, UsageError

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line with exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def _timeline_options(p: argparse.ArgumentParser, default: object) -> None:
    from territory import usertimeline

    formats = usertimeline.formats_said(usertimeline.READERS)
    p.add_argument(
        "--events",
        type=Path,
        default=default,
        metavar="FILE",
        help=f"draw this events file instead of the built-in events: {formats} "
        f"(CSV, detected from its header; up to {settings.USER_TIMELINE_MAX_MB} MB)",
    )
    p.add_argument(
        "--actors",
        type=Path,
        default=default,
        metavar="FILE",
        help="with an ACLED export: CSV 'pattern,controller' mapping actor names to sides "
        "(RE2 regular expressions, first match wins; default seeds/actors.csv)",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        default=default,
        help="with an ACLED export: refuse a territorial row whose actor has no side (by default it is kept "
        "as a report and the actors are summed up in one line)",
    )


def _export_options(e: argparse.ArgumentParser) -> None:
    """The arguments only ``export`` takes: the layer, --since, -o and --format."""
    e.add_argument("layer", help="layer name (see `layers`), or 'all' for every layer (a zip, or -o FILE.gpkg)")
    e.add_argument("--since", help="start date for `changes` and `events` (YYYY-MM-DD)")
    e.add_argument(
        "-o",
        "--output",
        default="-",
        help="output file, or - for stdout (default); FILE.gpkg writes a GeoPackage with QGIS styles",
    )
    e.add_argument(
        "--format",
        choices=("geojson", "csv"),
        default=None,
        help="geojson (default), or csv: properties and WKT geometry (default csv for -o FILE.csv)",
    )


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m territory", description=__doc__.splitlines()[0])
    _timeline_options(p, None)
    # Also accepted after the command (python -m territory stats --events FILE).
    common = argparse.ArgumentParser(add_help=False)
    _timeline_options(common, argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    b = sub.add_parser("build", help="regenerate geodata/ from seeds/ and the open-data packages")
    b.add_argument("--out", type=Path, help="write into this directory instead of geodata/")
    b.add_argument("--seeds", type=Path, help="read seeds from this directory instead of seeds/")
    b.add_argument("--quiet", action="store_true", help="no progress lines")

    c = sub.add_parser(
        "check",
        help="validate seeds/ (or, with --events FILE, that file) and report every problem (writes nothing)",
        parents=[common],
    )
    c.add_argument("--seeds", type=Path, help="seeds directory (default seeds/)")
    c.add_argument(
        "--template",
        metavar="FILE",
        help="with --events: write the actors left without a side as a mapping to fill in (CSV "
        "pattern,controller,note; give it back with --actors)",
    )

    sub.add_parser("layers", help="list layer names")

    sub.add_parser(
        "outlines",
        help="re-cut vendor/osm/outlines.geojson from the pinned OpenStreetMap package (fetches 43 MB once)",
    )

    for name, helptext in (
        ("export", "write one layer as RFC 7946 GeoJSON, CSV or GeoPackage (or all layers as a zip or GeoPackage)"),
        ("stats", "print statistics for a date and buffer depths as JSON"),
    ):
        e = sub.add_parser(name, help=helptext, parents=[common])
        if name == "export":
            _export_options(e)
        else:
            e.add_argument("--format", choices=("json", "csv"), default="json")
        e.add_argument("--date", help="date YYYY-MM-DD (default: the last date of the timeline)")
        e.add_argument(
            "--depths",
            help="buffer depths in miles, comma-separated (default 3,6,10,22,30; 0.5 to 60)",
        )
        e.add_argument("--geodata", type=Path, help="read layers from this directory")

    h = sub.add_parser("history", help="a place's spells of control with their sources", parents=[common])
    h.add_argument("place", help="place id, name or alternative name (e.g. kuweires-air-base, Kuweires, Aleppo)")
    h.add_argument("--format", choices=("text", "json", "csv"), default="text")
    h.add_argument("--geodata", type=Path, help="read layers from this directory")

    pub = sub.add_parser(
        "publish",
        parents=[common],
        help="write the map as a static site (index.html, data, downloads) that any static web server can serve",
    )
    pub.add_argument("-o", "--output", required=True, type=Path, metavar="DIR", help="the site's directory")
    pub.add_argument("--title", help="the page's title (default: what it shows, and the dates)")
    pub.add_argument("--dashboard-url", help="link the page to a running dashboard at this http(s) URL")
    pub.add_argument("--geodata", type=Path, help="read layers from this directory")

    v = sub.add_parser(
        "serve",
        parents=[common],
        help="run the dashboard (streamlit run dashboard.py), its libraries and data loaded before the first visitor",
        description=(
            "Other options go to streamlit run, e.g. --server.port 8502 --server.address 0.0.0.0; it runs from the "
            "project directory, or the installed package's copy of it (for .streamlit/config.toml), so give paths "
            "in them as absolute paths."
        ),
    )
    v.add_argument("--geodata", type=Path, help="serve the layers of this directory (default geodata/)")
    return p


def _write_output(target: str, data: str | bytes) -> None:
    if target == "-":
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            sys.stdout.write(data)
            sys.stdout.flush()
        return
    from territory.export import write_atomic

    path = Path(target)
    if path.is_dir():
        msg = f"-o {target!r} is a directory; expected a file path"
        raise UsageError(msg)
    if not path.parent.exists():
        msg = f"-o {target!r}: directory {str(path.parent)!r} does not exist"
        raise UsageError(msg)
    try:
        write_atomic(path, data)
    except OSError as exc:
        msg = f"-o {target!r} cannot be written ({exc.strerror or exc})"
        raise UsageError(msg) from None


def _cmd_build(args: argparse.Namespace) -> int:
    from territory import build

    def progress(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr, flush=True)

    report = build.build(out_dir=args.out, seeds_root=args.seeds, progress=progress)
    if not args.quiet:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(report.layers.items()))
        print(f"layers: {counts}", file=sys.stderr)
    return 0


def _cmd_outlines(_args: argparse.Namespace) -> int:
    from territory import geometry, outlines

    path = outlines.write_outlines()
    shapes, border = outlines.read_outlines(path)
    print(
        f"wrote {path}: border {geometry.geodesic_length_km(border):,.1f} km, "
        f"Syria {geometry.area_km2(shapes['SYR']):,.0f} km²",
        file=sys.stderr,
    )
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    if args.events is not None:
        return _check_events(args)
    if args.template is not None:
        msg = "--template lists the actors of an events file left without a side; give the file with --events FILE"
        raise UsageError(msg)
    from territory import basedata
    from territory.seeds import load_golan_line, load_seeds

    base = basedata.load_base(golan_line=load_golan_line(args.seeds))
    seeds = load_seeds(args.seeds, {g["id"] for g in base.geonames}, syria=base.syria)
    from territory.build import assemble_places

    _, problems = assemble_places(base, seeds)
    from territory import usertimeline

    root = args.seeds or settings.seeds_dir()
    # The default ACLED actor mapping, when the directory has one (it is optional for the build).
    actors: tuple = ()
    if (root / usertimeline.ACTORS_FILE).is_file():
        try:
            actors = usertimeline.read_actors(root=root).rules
        except usertimeline.TimelineFileError as exc:
            problems = [*problems, *exc.problems()]
    problems = [*problems, *usertimeline.actor_source_problems(root, seeds.sources)]
    if problems:
        raise SeedValidationError(problems)
    print(
        f"seeds/ OK: {len(seeds.sources)} sources, {len(seeds.places)} places, "
        f"{len(seeds.baseline)} baseline zones, {len(seeds.events)} events, "
        f"{len(seeds.proposals)} proposals, {len(actors)} actor patterns"
    )
    return 0


def _check_events(args: argparse.Namespace) -> int:
    """``--events FILE check``: every problem of the file, one per line (exit 2 if any), else its summary."""
    from territory import usertimeline
    from territory.data import default_dataset

    ds = default_dataset()
    try:
        user = usertimeline.load_file(ds, args.events, args.actors, strict=bool(args.strict))
    except usertimeline.TimelineFileError as exc:
        n = 0
        for line in exc.problems():
            print(line, file=sys.stderr)
            n += 1
        print(f"{args.events} is refused: {n:,} line{'s' if n != 1 else ''} above; nothing was read", file=sys.stderr)
        return EXIT_USAGE
    print(f"{usertimeline.summary_of(user)}: OK")
    if usertimeline.left_out_of(user):
        print(usertimeline.left_out_line(user))
        for a in usertimeline.left_out_of(user):
            print(f"  {a['rows']:>7,}  {a['actor']}  ({a['mapping']})")
    if args.template is not None:
        _write_output(args.template, usertimeline.mapping_template(user))
        if args.template != "-":
            print(f"wrote {args.template}: fill in its controller column and give it with --actors", file=sys.stderr)
    return 0


def _dataset(args: argparse.Namespace):
    """The dataset of ``--geodata`` (default geodata/), drawing ``--events`` when given."""
    from territory.data import default_dataset

    ds = default_dataset(args.geodata)
    if args.events is None:
        return ds
    from territory import usertimeline

    started = time.perf_counter()
    ds = usertimeline.load_file(ds, args.events, args.actors, strict=bool(args.strict))
    if usertimeline.left_out_of(ds):  # always said: the file loaded, but not all of it changes holders
        print(
            f"territory: {usertimeline.left_out_line(ds)}; --strict refuses them; "
            f"'--events {args.events} check' lists them, --template FILE writes them as a mapping to fill in",
            file=sys.stderr,
            flush=True,
        )
    if sys.stderr.isatty():  # for a person at a terminal; scripts get the output alone
        print(
            f"territory: timeline {usertimeline.summary_of(ds)} (read in {time.perf_counter() - started:.1f} s)",
            file=sys.stderr,
            flush=True,
        )
    return ds


def _dated_args(args: argparse.Namespace):
    ds = _dataset(args)
    date = ds.parse_date(args.date)
    depths = buffers.parse_depths(args.depths)
    return ds, date, depths


def _cmd_export(args: argparse.Namespace) -> int:
    from territory import layers

    if args.layer != "all":
        layers.check_layer(args.layer)
    ds, date, depths = _dated_args(args)
    since: dt.date | None = None
    if args.since is not None:
        since = ds.parse_date(args.since)
    target = args.output.lower()
    fmt = args.format or ("csv" if target.endswith(".csv") else "geojson")
    if target.endswith(".gpkg"):
        if args.format is not None:
            msg = f"-o {args.output!r} writes a GeoPackage; --format {args.format} applies to other files"
            raise UsageError(msg)
        names = settings.LAYERS if args.layer == "all" else (args.layer,)
        _write_output(args.output, layers.layers_geopackage(ds, names, date, depths, since))
    elif args.layer == "all":
        if fmt == "csv":
            msg = "export all writes a zip of GeoJSON (or -o FILE.gpkg); --format csv takes one layer"
            raise UsageError(msg)
        if args.output == "-" and sys.stdout.isatty():
            msg = "export all writes a zip; give -o FILE.zip (or -o FILE.gpkg)"
            raise UsageError(msg)
        _write_output(args.output, layers.all_layers_zip(ds, date, depths, since))
    elif fmt == "csv":
        _write_output(args.output, layers.layer_csv(ds, args.layer, date, depths, since))
    else:
        _write_output(args.output, layers.layer_geojson(ds, args.layer, date, depths, since))
    return 0


def _cmd_history(args: argparse.Namespace) -> int:
    from territory import history

    ds = _dataset(args)
    place = history.resolve_place(ds, args.place)
    spells = history.place_history(ds, place)
    sys.stdout.write(history.render(ds, place, spells, args.format))
    return 0


def _cmd_stats(args: argparse.Namespace) -> int:
    from territory import stats

    ds, date, depths = _dated_args(args)
    result = stats.stats(ds, date, depths)
    if args.format == "csv":
        sys.stdout.write(stats.stats_csv(result))
    else:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    return 0


def _cmd_publish(args: argparse.Namespace) -> int:
    from territory import publish

    ds = _dataset(args)
    started = time.perf_counter()

    def progress(message: str) -> None:
        if sys.stderr.isatty():
            print(f"publish: {message}", file=sys.stderr, flush=True)

    report = publish.publish(ds, args.output, args.title, args.dashboard_url, progress)
    print(
        f"wrote {report.out}: {report.files} files, {report.bytes / 1e6:,.1f} MB, downloads for "
        f"{len(report.download_dates)} of {len(ds.dates)} dates ({time.perf_counter() - started:.0f} s)",
        file=sys.stderr,
    )
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    """``streamlit run dashboard.py`` in this process, after importing and loading what the page needs.

    A plain ``streamlit run`` imports folium, pandas and geopandas and reads geodata/ when the first
    visitor arrives (about a second); here that happens before the server listens.
    """
    from territory import serve

    return serve.run(args.streamlit_options, geodata=args.geodata, events=args.events, actors=args.actors)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "serve":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.streamlit_options = extra
    try:
        if args.actors is not None and args.events is None:
            msg = "--actors maps the actors of an ACLED export; give the export with --events FILE"
            raise UsageError(msg)
        if args.events is not None and args.command in ("build", "outlines", "layers"):
            msg = (
                f"--events applies to export, stats, history, publish, check and serve, not {args.command} "
                "(the build reads seeds/events.csv)"
            )
            raise UsageError(msg)
        if args.strict and (args.events is None or args.command == "serve"):
            msg = (
                "--strict refuses an events file's rows of actors with no side; give the file with --events FILE "
                "(serve always loads it and lists those actors in the page)"
            )
            raise UsageError(msg)
        if args.command == "layers":
            print("\n".join(settings.LAYERS))
            return 0
        handler = {
            "build": _cmd_build,
            "outlines": _cmd_outlines,
            "check": _cmd_check,
            "export": _cmd_export,
            "history": _cmd_history,
            "stats": _cmd_stats,
            "publish": _cmd_publish,
            "serve": _cmd_serve,
        }[args.command]
        return handler(args)
    except SeedValidationError as exc:
        print(str(exc), file=sys.stderr)
        print("nothing was written; fix the rows above and run again", file=sys.stderr)
        return EXIT_USAGE
    except TerritoryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if args.command != "build" or os.environ.get("TERRITORY_DEBUG"):
            raise
        # The build writes into a temporary directory: whatever failed, geodata/ is as it was.
        reason = str(exc).splitlines()[0][:200] if str(exc) else ""
        print(
            f"error: build failed ({type(exc).__name__}: {reason}); geodata/ was left as it was "
            "(TERRITORY_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
