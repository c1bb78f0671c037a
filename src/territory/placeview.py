"""A place's history as the page shows it: its spells with dates for people, a strip, the disputes.

Pure (no Streamlit); the text the CLI's ``history`` prints comes from :mod:`territory.history`.
"""

from __future__ import annotations

import datetime as dt
import html

import pandas as pd

from territory import control, history, seeds, settings
from territory.data import Dataset
from territory.viewmodel import human_date, md_escape, source_md


def spell_end(ds: Dataset, valid_to: str) -> str:
    """A spell's last day for readers: "still held on <last date>" when it runs to the end of the timeline.

    ``valid_to`` is exclusive (the exports keep it so): the last day held is the day before.
    """
    last = dt.date.fromisoformat(valid_to) - dt.timedelta(days=1)
    return f"still held on {human_date(last)}" if last >= ds.end_date else human_date(last)


def history_table(ds: Dataset, place_id: str) -> pd.DataFrame:
    """A place's spells as a table for the page (what ``python -m territory history`` prints), dates for people."""
    rows = [
        {
            "from": human_date(s.valid_from),
            "to (last day)": spell_end(ds, s.valid_to),
            "held by": settings.CONTROLLER_LABELS.get(s.controller, s.controller),
            "how": "baseline" if s.kind == "baseline" else control.describe_event(s.kind, s.by),
            "source": seeds.citation(ds.sources.get(s.source)) or s.source,
            "link": s.source_url,
        }
        for s in history.place_history(ds, place_id)
    ]
    return pd.DataFrame(rows)


def history_strip_html(ds: Dataset, place_id: str, colours: dict[str, str]) -> str:
    """A one-row strip of the place's holders over the timeline: one mark per spell (escaped HTML).

    Each mark's width is its share of the timeline's days; its title names the holder and dates.
    """
    spells = history.place_history(ds, place_id)
    total = (ds.end_date - ds.baseline_date).days + 1
    marks = []
    for s in spells:
        days = (dt.date.fromisoformat(s.valid_to) - dt.date.fromisoformat(s.valid_from)).days
        label = settings.CONTROLLER_LABELS.get(s.controller, s.controller)
        title = f"{label}: {human_date(s.valid_from)} to {spell_end(ds, s.valid_to)}"
        # The holder's short name inside marks wide enough for it (an eighth of the timeline).
        short = html.escape(settings.CONTROLLER_SHORT.get(s.controller, s.controller)) if days * 8 >= total else ""
        colour = html.escape(colours.get(s.controller, "#999999"))
        marks.append(
            f'<span class="territory-spell" title="{html.escape(title)}" '
            f'style="flex:{days} 1 0;background:{colour}">{short}</span>'
        )
    return (
        '<div class="territory-strip" style="display:flex;height:26px;border:1px solid #555;font:12px sans-serif;'
        'line-height:26px;text-align:center;color:#111;text-shadow:0 0 2px #fff">' + "".join(marks) + "</div>"
        '<div style="display:flex;justify-content:space-between;font:12px sans-serif;color:#555">'
        f"<span>{html.escape(human_date(ds.baseline_date))}</span>"
        f"<span>{html.escape(human_date(ds.end_date))}</span></div>"
    )


def history_disputes_markdown(ds: Dataset, place_id: str) -> str:
    """Other sources' claims about the place, each with its source (empty when none)."""
    lines = [
        f"- {md_escape(human_date(d['valid_from']))} to {md_escape(spell_end(ds, d['valid_to']))}: "
        f"{md_escape(settings.CONTROLLER_LABELS.get(d['controller'], d['controller']))} per "
        f"{source_md(ds, d['source'])}. {md_escape(d['note'])}"
        for d in history.place_disputes(ds, place_id)
    ]
    return ("**Where sources disagree**\n\n" + "\n".join(lines)) if lines else ""
