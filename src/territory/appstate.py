"""The dashboard's shareable state: parse URL query parameters safely, and write them back.

Pure functions (no Streamlit): bad or stale parameters never raise; each gives a short warning and
falls back to its default.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from territory import buffers, history, settings
from territory._errors import UsageError
from territory.data import Dataset

MAX_PARAM_CHARS = 200  # longer values are cut before they are echoed in a warning


@dataclass
class ViewState:
    """What the URL can carry."""

    date: dt.date
    depths: tuple[float, ...]
    layers: tuple[str, ...]
    palette: str = settings.PALETTE_DEFAULT
    warnings: list[str] = field(default_factory=list)
    place: str | None = None  # a place whose history is shown
    since: dt.date | None = None  # compare this date with the chosen one (None: the day before)


def _shown(value: str) -> str:
    value = value[:MAX_PARAM_CHARS]
    return repr(value if len(value) < 40 else value[:37] + "...")


def default_date(ds: Dataset) -> dt.date:
    """The date the page opens on: the day Aleppo fell (``settings.OPENING_DATE``), a date with a story.

    An events file's own timeline opens on its last date (the story date belongs to the built-in one).
    """
    if not ds.origin and settings.OPENING_DATE in ds.dates:
        return settings.OPENING_DATE
    return ds.end_date


def parse_query(ds: Dataset, params: Mapping[str, str | list[str]]) -> ViewState:
    """A :class:`ViewState` from query parameters; unknown or bad values warn and fall back."""

    def get(name: str) -> str | None:
        value = params.get(name)
        if isinstance(value, list):
            value = value[-1] if value else None
        return None if value is None else str(value)

    state = ViewState(default_date(ds), settings.DEFAULT_DEPTHS_MILES, settings.DEFAULT_MAP_LAYERS)
    raw = get("date")
    if raw is not None:
        try:
            state.date = ds.parse_date(raw[:MAX_PARAM_CHARS])
        except UsageError as exc:
            state.warnings.append(f"URL parameter date: {exc}. Showing {state.date.isoformat()}.")
    raw = get("depths")
    if raw is not None:
        if raw.strip() == "":
            state.depths = ()
        else:
            try:
                asked = buffers.parse_depths(raw[:MAX_PARAM_CHARS])
            except UsageError as exc:
                state.warnings.append(f"URL parameter depths: {exc}. Showing the default bands.")
            else:
                keep = [float(p["depth_miles"]) for p in ds.proposals]
                state.depths = tuple(sorted({buffers.round_depth(d, keep) for d in asked}))
                moved = [d for d in asked if buffers.round_depth(d, keep) != d]
                if moved:
                    state.warnings.append(
                        f"URL parameter depths: {', '.join(map(buffers.format_depth, moved))} rounded to the nearest "
                        f"{buffers.format_depth(settings.DEPTH_STEP_MILES)} mile (custom depths go in steps of "
                        f"{buffers.format_depth(settings.DEPTH_STEP_MILES)} mile)."
                    )
    raw = get("layers")
    if raw is not None:
        names = [n.strip() for n in raw[:MAX_PARAM_CHARS].split(",") if n.strip()]
        unknown = [n for n in names if n not in settings.MAP_LAYERS]
        if unknown:
            state.warnings.append(
                f"URL parameter layers: unknown layer {_shown(unknown[0])}; expected any of "
                f"{', '.join(settings.MAP_LAYERS)}. Unknown names were ignored."
            )
        known = tuple(n for n in settings.MAP_LAYERS if n in names)
        state.layers = known if (known or not unknown) else settings.DEFAULT_MAP_LAYERS
    raw = get("palette")
    if raw is not None:
        if raw in settings.PALETTES:
            state.palette = raw
        else:
            state.warnings.append(
                f"URL parameter palette: {_shown(raw)} is unknown; expected one of {', '.join(settings.PALETTES)}."
            )
    raw = get("place")
    if raw is not None:
        try:  # the CLI's resolver: an id, a name or an alternative name
            state.place = history.resolve_place(ds, raw[:MAX_PARAM_CHARS])
        except UsageError as exc:
            state.warnings.append(f"URL parameter place: {exc}. No history shown.")
    raw = get("since")
    if raw is not None:
        try:
            since = ds.parse_date(raw[:MAX_PARAM_CHARS])
        except UsageError as exc:
            state.warnings.append(f"URL parameter since: {exc}. Comparing with the day before.")
        else:
            if since < state.date:
                state.since = since
            else:
                state.warnings.append(
                    f"URL parameter since: {since.isoformat()} is not before the date {state.date.isoformat()}; "
                    "comparing with the day before."
                )
    known_params = {"date", "depths", "layers", "palette", "place", "since"}
    extra = sorted(k for k in params if k not in known_params)
    if extra:
        state.warnings.append(f"URL parameter {_shown(extra[0])} is not used by territory; ignored.")
    return state


def to_query(state: ViewState) -> dict[str, str]:
    """Query parameters that restore ``state``."""
    out = {
        "date": state.date.isoformat(),
        "depths": ",".join(buffers.format_depth(d) for d in state.depths),
        "layers": ",".join(state.layers),
    }
    if state.palette != settings.PALETTE_DEFAULT:
        out["palette"] = state.palette
    if state.place:
        out["place"] = state.place
    if state.since is not None and state.since < state.date:
        out["since"] = state.since.isoformat()
    return out
