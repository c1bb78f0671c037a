// territory's map runtime. base() draws everything that does not depend on the date once (from
// window.TERRITORY_BASE, a static file the build writes: the first date's codes and, for each later
// date, what changed); frame() takes a rerun's options and render() restyles the map for a date;
// draw() does the same for a host that owns its date controls (the published site). The data holds
// plain text and URLs: this code puts text into the page with textContent and attributes only (never innerHTML), and
// links a source only when its URL is http(s). The pure helpers are exported as territory.dom for
// the unit tests (tests/js/runtime.test.js, run with node's test runner), and render()'s one step
// per layer as territory.layers.
//
// The payload. Its keys are short (the base data is sent once but is large); they are named by the
// build (src/territory/mapdata.py: base_data, frame_data) and read by the published site
// (static/site/site.js, src/territory/publish.py) and the tests: never rename one here alone.
// Controller codes index `labels` and `colours`, in the order of settings.CONTROLLERS (0 government,
// 1 HTS-led, 2 SNA, 3 SDF, 4 Israel, 5 contested); an event naming no side has the code one past
// them (mapdata.NO_SIDE, drawn grey). Date indexes index `dates`; source indexes index `srcs`.
//
/**
 * @typedef {Object} Source  a source of a holder or an event
 * @property {string} t  citation text (plain text)
 * @property {string} u  URL; linked only when http(s), else ""
 *
 * @typedef {Object} Places  parallel arrays, one entry per place (place index p)
 * @property {number[][]} xy     [lat, lon]
 * @property {string[]} names    display name
 * @property {string[]} ids      stable place id (?place=ID)
 *
 * @typedef {Object} Sites  military and infrastructure sites, one entry per site s
 * @property {number[]} place      place index of the site (it is held with its place)
 * @property {string[]} symbols    icon symbol (✈ ★ ⚡ ⇄ ⚑)
 * @property {string[]} kinds      kind, for people ("air base")
 * @property {string[]} [operators] foreign operator, "" when none (a foreign base)
 *
 * @typedef {Object} Villages  northern-Hama villages, one entry per village v
 * @property {number[][]} xy          [lat, lon]
 * @property {string[]} names
 * @property {Array<?string>} captured ISO date of the first capture, null when none
 * @property {number[]} place          place index of the village
 * @property {number[]} base           controller code of its baseline holder
 * @property {number} contested        the "Contested" controller code
 *
 * @typedef {Object} Events  events, one entry per event e (sorted by date)
 * @property {number[][]} xy    [lat, lon] of the event's place
 * @property {number[]} day     date index
 * @property {number[]} c       controller code of the side it concerns (NO_SIDE: none)
 * @property {string[]} what    one-line title ("Fri 29 Nov 2024: Aleppo: taken by …")
 * @property {string[]} notes   note (plain text)
 * @property {Array<number|Source>} s  source: an index into srcs (base data) or the Source itself (frame)
 * @property {number} [total]  frame only: the date's number of events (the frame holds the latest)
 *
 * @typedef {Object} DayCodes  the first date's codes in full (Base.start)
 * @property {number[]} cells  controller code of each cell (cell index = cells feature's properties.i)
 * @property {number[]} pc     controller code of each place ("place controller")
 * @property {number[]} since  date index since which each place has had its holder
 * @property {number[]} src    source index of each place's holder
 * @property {number[][]} dis  disputed holders: [place index, the other source's controller code, its source index]
 *
 * @typedef {Object} Delta  what changed on a date against the day before (Base.deltas[day]; {} when nothing)
 * @property {number[]} [c]    flat pairs: cell index, new controller code
 * @property {number[]} [p]    flat quadruples: place index, controller code, since (date index), src (source index)
 * @property {number[][]} [dis] the date's whole dispute list (DayCodes.dis), when it differs
 *
 * @typedef {Object} Changes  GeoJSON FeatureCollection of ground that changed hands; each feature's
 *   properties: c (controller code of the side that gained it), t (tooltip text)
 *
 * @typedef {Object} Base  window.TERRITORY_BASE (static/territory/basemap.js, written by the build)
 * @property {Object} neighbours    GeoJSON: neighbouring countries (no properties)
 * @property {Object} governorates  GeoJSON: properties name, focus (true: the north-west)
 * @property {Object} border        GeoJSON: the Turkey–Syria border; properties label
 * @property {Object} cells         GeoJSON: control cells; properties i (cell index), thin (beyond every place's reach)
 * @property {string[]} labels      controller labels, by code
 * @property {string[]} dates       ISO dates, by date index
 * @property {Source[]} srcs        sources, by source index (0: GeoNames / baseline zones)
 * @property {Places} places
 * @property {{p: number[], z: number[]}} placeLabels  place names in priority order: p place index,
 *   z the zoom from which its name shows (0: always, a governorate capital)
 * @property {Sites} sites
 * @property {number} reachKm       a place's reach (km): beyond it, ground is thinly held
 * @property {boolean} historyInPage an uploaded timeline: a place's history is in the page, not a new tab
 * @property {Villages} villages
 * @property {?Events} events       every event (short timeline) or null (long: the frame brings them)
 * @property {Object<string, Object>} bands  default buffer bands by depth ("22"): a GeoJSON feature,
 *   properties label ("22 mi"), t (tooltip text)
 * @property {number[]} cellKm2     each cell's area (km²)
 * @property {DayCodes} start
 * @property {Delta[]} deltas       by date index (deltas[0] is {})
 * @property {Array<?Changes>} [changes] short timelines: by date index, the ground changed since the day before
 *
 * @typedef {Object} FrameBand  a buffer band to draw
 * @property {string} colour
 * @property {?number[]} at      [lat, lon] of its label, or null (no label)
 * @property {string} [ref]      a default band: its key in Base.bands
 * @property {Object} [feature]  a custom band: its GeoJSON feature (as Base.bands')
 *
 * @typedef {Object} Frame  a rerun's options (mapdata.frame_data), or what a host passes to draw(F)
 *   (the published site's site.js builds the same fields)
 * @property {number} day          date index to draw
 * @property {string[]} shown      layer ids shown: zones changes points events villages sites buffers
 * @property {string[]} colours    colour of each controller code (the palette)
 * @property {FrameBand[]} [bands] with "buffers" shown and depths chosen
 * @property {string} [since]      ISO date compared with (then `changes` is the ground changed since it)
 * @property {Changes} [changes]   drawn on `day` only, instead of Base.changes[day]
 * @property {Events} [events]     a long timeline: the date's own events (sources inline)
 *
 * @typedef {Object} DayState  a date's codes, made by dayState(): DayCodes plus
 * @property {number} day         its date index
 * @property {number[]} changed   place indexes that changed hands on the day itself
 * @property {string[]} areas     area held per controller code, for people ("1,234 km²", "" when none)
 *
 * @typedef {Object} State  what base() made (S); the layer steps take it as `st`
 * @property {Object} map          the Leaflet map
 * @property {Base} B
 * @property {Object<string, Object>} groups  layer groups: zones points villages sites disputed events bands changes
 * @property {Object[]} cells      the zones' path layers, by cell index
 * @property {Object[]} points     place markers, by place index
 * @property {Object[]} villages   village markers, by village index
 * @property {Object[]} sites      site markers, by site index
 * @property {Object[]} eventLayers base-data event markers, made on first show
 * @property {{cells: string[], points: string[], sites: string[], dis: ?Array, frameEvents: ?Events}} drawn
 *   what is on screen (colours, the dispute list and frame events drawn), so only what differs is touched
 */
window.territory = (function () {
  "use strict";
  var S = null; // state made by base()
  var pendingFrame = null; // a rerun's frame that came before base() (base data still loading)

  // --- DOM from plain text (the only way strings from the data reach the page) -------------------
  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (var k in attrs || {}) if (Object.prototype.hasOwnProperty.call(attrs, k)) node.setAttribute(k, attrs[k]);
    return node;
  }

  function add(parent, children) {
    for (var i = 0; i < children.length; i++) {
      var c = children[i];
      if (c === null || c === undefined) continue;
      parent.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return parent;
  }

  function box(children) { return add(el("div"), children); }

  // "2024-11-29" -> "Fri 29 Nov 2024": dates as people read them (the data keeps ISO dates).
  var DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  function humanDate(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso || ""));
    if (!m) return String(iso || "");
    var d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    return DAYS[d.getUTCDay()] + " " + d.getUTCDate() + " " + MONTHS[d.getUTCMonth()] + " " + m[1];
  }

  function isWebUrl(url) { return /^https?:\/\/[^\s"'<>]+$/i.test(String(url || "")); }

  // A source {t: citation, u: URL}: a link when the URL is http(s), else the citation as text.
  function sourceNode(src) {
    src = src || { t: "", u: "" };
    if (!isWebUrl(src.u)) return el("span", src.t);
    return el("a", src.t || src.u, { href: src.u, target: "_blank", rel: "noopener noreferrer" });
  }

  // A date's codes (D: day, cells, pc, since, src, dis, areas) from the first date's and the deltas.
  // `cur`, a state made before, is moved forward when it is not past `day` (else rebuilt from the
  // start): stepping or playing costs only the day's changes.
  function dayState(B, day, cur) {
    var st = cur && cur.day <= day ? cur : null, d, i, k;
    if (!st) {
      st = { day: 0, cells: B.start.cells.slice(), pc: B.start.pc.slice(), since: B.start.since.slice(),
             src: B.start.src.slice(), dis: B.start.dis };
    }
    st.changed = st.day === day ? st.changed || [] : [];
    for (d = st.day + 1; d <= day; d++) {
      var delta = B.deltas[d] || {}, c = delta.c || [], q = delta.p || [];
      if (d === day) st.changed = [];
      for (i = 0; i < c.length; i += 2) st.cells[c[i]] = c[i + 1];
      for (i = 0; i < q.length; i += 4) {
        k = q[i];
        if (d === day && st.pc[k] !== q[i + 1]) st.changed.push(k); // changed hands on the day itself
        st.pc[k] = q[i + 1]; st.since[k] = q[i + 2]; st.src[k] = q[i + 3];
      }
      if (delta.dis) st.dis = delta.dis;
    }
    st.day = day;
    var km2 = [];
    for (i = 0; i < B.labels.length; i++) km2.push(0);
    for (i = 0; i < st.cells.length; i++) km2[st.cells[i]] += B.cellKm2[i];
    st.areas = km2.map(function (a) { return a > 0 ? Math.round(a).toLocaleString("en-US") + " km²" : ""; });
    return st;
  }

  // An event's source: an index into the base data's sources, or (frame-borne events) the source itself.
  function eventSource(B, s) { return typeof s === "object" && s !== null ? s : B.srcs[s]; }

  function held(B, D, p) {
    var out = [B.labels[D.pc[p]] + " since " + humanDate(B.dates[D.since[p]]), el("br"), "Source: ", sourceNode(B.srcs[D.src[p]])];
    var dis = D.dis || [];
    for (var k = 0; k < dis.length; k++) {
      if (dis[k][0] !== p) continue;
      out.push(el("br"), el("b", "Disputed: "), "another source has " + B.labels[dis[k][1]] + " — ", sourceNode(B.srcs[dis[k][2]]));
    }
    return out;
  }

  // The page's own URL with ?place=ID, opened in a new tab (the map's frame may not navigate the
  // page): the dashboard opens there on that place's history, with the same date and options.
  function historyLink(B, p, pageUrl) {
    // An uploaded timeline lives in this page's session only: a new tab would not have it.
    if (B.historyInPage) return el("span", "History: the Place history tab, below the map", { "class": "territory-history" });
    var url = new URL(pageUrl || "http://localhost/");
    url.searchParams.set("place", B.places.ids[p]);
    return el("a", "History of this place ↗", { href: url.toString(), target: "_blank", rel: "noopener", "class": "territory-history" });
  }

  function placePopupNode(B, D, p, url) {
    return box([el("b", B.places.names[p]), el("br"), "Held by: "].concat(held(B, D, p), [el("br"), historyLink(B, p, url)]));
  }

  function sitePopupNode(B, D, s, url) {
    var p = B.sites.place[s], operator = (B.sites.operators || [])[s];
    var kind = B.sites.kinds[s] + (operator ? " · operated by " + operator : "");
    return box([el("b", B.places.names[p]), el("br"), kind, el("br"), "Held by: "].concat(held(B, D, p), [el("br"), historyLink(B, p, url)]));
  }

  function pageUrl() {
    try {
      return window.parent && window.parent.location ? window.parent.location.href : window.location.href;
    } catch (e) {
      return window.location.href; // embedded in a page of another origin: the map's own page
    }
  }

  function eventPopupNode(B, E, e) {
    return box([el("b", E.what[e]), el("br"), E.notes[e], el("br"), "Source: ", sourceNode(eventSource(B, E.s[e]))]);
  }

  function villageTipNode(B, D, v) {
    var V = B.villages, cap = V.captured[v];
    return box([V.names[v], el("br"), "first taken: " + (cap ? humanDate(cap) : "no dated capture in this timeline"), el("br"),
                "held by " + B.labels[D.pc[V.place[v]]] + " on " + humanDate(B.dates[D.day])]);
  }

  function zoneTipText(B, D, i) {
    var c = D.cells[i];
    return B.labels[c] + ": " + D.areas[c] + " on " + humanDate(B.dates[D.day]);
  }

  // The legend folds (a <details>): open on wide maps, folded on phones, where it would hide the map.
  function legendNode(labels, reachKm, open) {
    var div = el("details", null, { "class": "territory-legend" });
    if (open) div.setAttribute("open", "");
    div.style.cssText = "background:rgba(255,255,255,.92);padding:4px 7px;font:11px/1.35 sans-serif;border-radius:4px;" +
      "box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:250px";
    add(div, [el("summary", "Legend", { style: "cursor:pointer;font-weight:600" })]);
    var swatch = "display:inline-block;width:11px;height:11px;margin-right:5px;vertical-align:-2px;";
    for (var k = 0; k < labels.length; k++) {
      var sw = el("span", null, { "class": "territory-swatch", style: swatch + "border:1px solid #555;opacity:.8" });
      add(div, [box([sw, labels[k]])]);
    }
    add(div, [
      box([el("span", null, { style: swatch + "border:1px solid #555;background:radial-gradient(#fff 30%,#bbb 40%) 0 0/4px 4px" }),
           "dotted: thinly held (no place within " + reachKm + " km)"]),
      box([el("span", null, { style: swatch + "border:2px dashed #000;background:repeating-linear-gradient(45deg,#777 0 3px,transparent 3px 8px)" }),
           "changed hands (hatched: gaining side)"]),
      box([el("span", null, { style: swatch + "border:2px dashed #e66100;border-radius:50%" }), "holder disputed (click it)"]),
      box([el("span", "Name", { style: "font-weight:600;padding:0 2px;border:1px solid #333;background:#ffe97a" }),
           " changed hands on the day"]),
      box(["✈ air base ★ military ⚡ infrastructure ⇄ crossing ⚑ foreign base"]),
      box(["● / ○ Hama village taken / not"]),
    ]);
    return div;
  }

  // --- place names: text labels, the larger places first, none overlapping -----------------------
  var LABEL_FONT = "600 12px sans-serif";
  var RING_RADIUS = 11; // px, a disputed place's ring
  var measureCtx = null;

  function textWidth(text) {
    if (!measureCtx && typeof document !== "undefined" && document.createElement) {
      var canvas = document.createElement("canvas");
      measureCtx = canvas && canvas.getContext ? canvas.getContext("2d") : null;
      if (measureCtx) measureCtx.font = LABEL_FONT;
    }
    return measureCtx ? measureCtx.measureText(text).width : text.length * 7;
  }

  // Candidate boxes for a label at point (x, y): right, left, above, below the place's dot.
  function labelBoxes(x, y, w, h) {
    return [[x + 5, y - h / 2, w, h], [x - 5 - w, y - h / 2, w, h], [x - w / 2, y - 5 - h, w, h], [x - w / 2, y + 5, w, h]];
  }

  function overlaps(a, b) {
    return a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
  }

  // Greedy placement: items {p, x, y, text, must}, in priority order, inside a size [w, h]. Each takes
  // the first of its candidate boxes that overlaps no placed one, preferring one that also covers no
  // obstacle {p, box} (a site icon, a disputed ring) of another place; a `must` label (a governorate
  // capital) takes its first box even when crowded.
  function placeLabels(items, size, obstacles) {
    var placed = [], out = [], blocks = obstacles || [];
    function inside(b) { return b[0] >= 0 && b[1] >= 0 && b[0] + b[2] <= size[0] && b[1] + b[3] <= size[1]; }
    function freeOf(b, boxes, skip) {
      for (var j = 0; j < boxes.length; j++) if (boxes[j].p !== skip && overlaps(b, boxes[j].box)) return false;
      return true;
    }
    for (var i = 0; i < items.length; i++) {
      var it = items[i], w = textWidth(it.text) + 6, h = 16, cands = labelBoxes(it.x, it.y, w, h), chosen = null;
      var open = cands.filter(function (b) { return inside(b) && freeOf(b, placed, -1); });
      for (var c = 0; c < open.length && !chosen; c++) if (freeOf(open[c], blocks, it.p)) chosen = open[c];
      chosen = chosen || open[0] || (it.must ? cands[0] : null);
      if (!chosen) continue;
      placed.push({ p: it.p, box: chosen });
      out.push({ p: it.p, text: it.text, box: chosen, changed: !!it.changed });
    }
    return out;
  }

  function siteIconNode(name, symbol, colour, foreign) {
    return el("div", symbol, {
      "class": "territory-site" + (foreign ? " territory-foreign" : ""),
      title: name,
      style: "font-size:15px;line-height:18px;width:20px;height:20px;text-align:center;border-radius:4px;" +
        "background:" + (foreign ? "#fff3c4" : "#fff") + ";color:#111;border:" + (foreign ? "3px double " : "2px solid ") + colour,
    });
  }

  function bandLabelNode(label, colour) {
    return el("div", label, {
      "class": "territory-band-label",
      style: "font:600 11px sans-serif;white-space:nowrap;text-shadow:0 0 3px #fff;color:" + colour,
    });
  }

  function geo(fc, opts) { return L.geoJSON(fc, opts); }

  // Styles of the runtime's own elements (constant text, no data).
  var CSS =
    ".territory-label{font:" + LABEL_FONT + ";line-height:16px;color:#111;white-space:nowrap;text-align:center;" +
    "pointer-events:none;text-shadow:-1px -1px 0 #fff,1px -1px 0 #fff,-1px 1px 0 #fff,1px 1px 0 #fff,0 0 3px #fff,0 0 3px #fff}" +
    ".territory-label-changed{background:#ffe97a;border:1px solid #333;border-radius:3px;line-height:14px;text-shadow:none}" +
    ".territory-view button{font:600 12px sans-serif;padding:4px 8px;background:#fff;border:0;cursor:pointer}" +
    ".territory-legend summary{outline:none}" +
    ".leaflet-container .leaflet-control-attribution{font-size:10px}";

  function addStyle() {
    if (typeof document === "undefined" || document.getElementById("territory-css")) return;
    (document.head || document.body).appendChild(el("style", CSS, { id: "territory-css" }));
  }

  // The frame: all of Syria fitted to the map's real size, or the north-west (Idlib, Aleppo, Hama);
  // refitted when the map's size changes until the reader moves the map (then the view is theirs).
  function frameViews(map, B, governorates) {
    var nw = L.latLngBounds([]);
    governorates.eachLayer(function (l) { if (l.feature.properties.focus) nw.extend(l.getBounds()); });
    S.views = { syria: governorates.getBounds(), nw: nw };
    S.view = "syria";
    map.options.zoomSnap = 0.25; // fit closely: a whole zoom level is twice the size
    // In a frame (the dashboard's), the map is never taller than the frame: a page may make its
    // frame shorter on phones than the height the map was made with.
    var container = map.getContainer(), fullHeight = container.offsetHeight;
    var fitFrame = function () {
      var h = window.parent !== window ? window.innerHeight : 0;
      var want = h && h < fullHeight ? h : fullHeight;
      if (want && container.offsetHeight !== want) {
        container.style.height = want + "px";
        map.invalidateSize({ animate: false });
      }
    };
    fitFrame();
    window.addEventListener("resize", fitFrame);
    S.fitView = function () { map.fitBounds(S.views[S.view], { padding: [4, 4], animate: false }); };
    S.fitView();
    var moved = function () { S.userMoved = true; };
    var box = map.getContainer();
    box.addEventListener("mousedown", moved);
    box.addEventListener("touchstart", moved, { passive: true });
    box.addEventListener("wheel", moved, { passive: true });
    box.addEventListener("keydown", moved);
    map.on("resize", function () { if (!S.userMoved) S.fitView(); });

    var toggle = L.control({ position: "topleft" });
    toggle.onAdd = function () {
      var div = el("div", null, { "class": "leaflet-bar territory-view" });
      var button = el("button", "North-west", { type: "button", title: "Zoom to Idlib, Aleppo and Hama" });
      button.addEventListener("click", function () {
        S.view = S.view === "syria" ? "nw" : "syria";
        button.textContent = S.view === "syria" ? "North-west" : "All of Syria";
        button.setAttribute("title", S.view === "syria" ? "Zoom to Idlib, Aleppo and Hama" : "Show the whole of Syria");
        S.userMoved = false;
        S.fitView();
      });
      div.appendChild(button);
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    toggle.addTo(map);
  }

  // What a name should not cover when it has a choice: the site icons and disputed rings on the map
  // now (each with its place: a place's own name may sit by its own icon).
  function labelObstacles(map, size) {
    var out = [];
    function add(group, layers, half, placeOf) {
      if (!S.groups[group] || !map.hasLayer(S.groups[group])) return;
      for (var i = 0; i < layers.length; i++) {
        var pt = map.latLngToContainerPoint(layers[i].getLatLng());
        if (pt.x < -half || pt.y < -half || pt.x > size.x + half || pt.y > size.y + half) continue;
        out.push({ p: placeOf(i), box: [pt.x - half, pt.y - half, 2 * half, 2 * half] });
      }
    }
    add("sites", S.sites || [], 12, function (i) { return S.B.sites.place[i]; });
    var rings = S.groups.disputed ? S.groups.disputed.getLayers() : [];
    add("disputed", rings, RING_RADIUS + 2, function (i) { return rings[i].options.place; });
    return out;
  }

  // Place names in their own pane, above the zones and markers; laid out again after every move,
  // zoom and date: the governorate capitals, then the places that changed hands on the day (from a
  // zoom a little below their own), then the others by population.
  function layoutLabels() {
    if (!S || !S.labelGroup) return;
    var map = S.map, B = S.B, size = map.getSize(), zoom = map.getZoom(), order = B.placeLabels || { p: [], z: [] };
    var items = [], seen = {}, changed = S.D && S.options && S.D.day === S.drawnDay ? S.D.changed || [] : [];
    if (!S.labelZoom) {
      S.labelZoom = {};
      for (var k = 0; k < order.p.length; k++) S.labelZoom[order.p[k]] = order.z[k];
    }
    function push(p, must, ch) {
      if (seen[p]) return;
      seen[p] = true;
      var pt = map.latLngToContainerPoint(B.places.xy[p]);
      if (pt.x < 0 || pt.y < 0 || pt.x > size.x || pt.y > size.y) return;
      items.push({ p: p, x: pt.x, y: pt.y, text: B.places.names[p], must: must, changed: ch });
    }
    var i;
    for (i = 0; i < order.p.length && order.z[i] <= 0; i++) push(order.p[i], true, false);
    for (i = 0; i < changed.length; i++) {
      var z = S.labelZoom[changed[i]];
      if ((z === undefined ? 10.5 : z) <= zoom + 1.5) push(changed[i], false, true);
    }
    for (i = 0; i < order.p.length; i++) if (order.z[i] <= zoom) push(order.p[i], false, false);
    var seenChanged = {};
    for (i = 0; i < changed.length; i++) seenChanged[changed[i]] = true;
    for (i = 0; i < items.length; i++) if (seenChanged[items[i].p]) items[i].changed = true;
    var placed = placeLabels(items, [size.x, size.y], labelObstacles(map, size));
    S.labelGroup.clearLayers();
    for (i = 0; i < placed.length; i++) {
      var q = placed[i], pt = map.latLngToContainerPoint(B.places.xy[q.p]);
      var node = el("div", q.text, { "class": "territory-label" + (q.changed ? " territory-label-changed" : "") });
      L.marker(B.places.xy[q.p], {
        pane: "territoryLabels", interactive: false, keyboard: false,
        icon: L.divIcon({ html: node, className: "", iconSize: [q.box[2], q.box[3]], iconAnchor: [pt.x - q.box[0], pt.y - q.box[1]] }),
      }).addTo(S.labelGroup);
    }
  }

  function base(map, B, tiles) {
    S = { map: map, B: B, groups: {}, eventLayers: [], options: null, optionsKey: null, drawnDay: null, D: null,
          drawn: { cells: [], points: [], sites: [], dis: null, frameEvents: null } };
    addStyle();
    baseChrome(map);
    baseOutlines(map, B, tiles);
    baseZones(B);
    baseMarkers(B);
    S.groups.events = L.layerGroup();
    S.groups.disputed = L.layerGroup();
    S.groups.bands = L.layerGroup();
    S.groups.changes = L.layerGroup();
    baseLegend(map, B);
    S.labelGroup = L.layerGroup().addTo(map);
    map.on("zoomend moveend resize", layoutLabels);
    layoutLabels();
    if (pendingFrame) {
      var waiting = pendingFrame;
      pendingFrame = null;
      frame(waiting[0], waiting[1]);
    }
  }

  /** The attribution and the panes for names (above everything, clicks pass through) and disputed rings (above markers). */
  function baseChrome(map) {
    if (map.attributionControl) {
      // A neutral prefix: the map's own data and their licences (the runtime draws no web tiles by default).
      map.attributionControl.setPrefix("Leaflet");
      map.attributionControl.addAttribution("© OpenStreetMap contributors (ODbL) · GeoNames (CC BY 4.0) · Natural Earth");
    }
    var labelPane = map.createPane("territoryLabels");
    labelPane.style.zIndex = 650; // above the site icons and disputed rings (clicks go through the names to them)
    labelPane.style.pointerEvents = "none";
    // Disputed rings above every marker, so a click at a disputed place opens both claims.
    map.createPane("territoryDisputed").style.zIndex = 640;
  }

  /** Neighbouring countries, governorates (the north-west's in bold) and the border, drawn once. */
  function baseOutlines(map, B, tiles) {
    geo(B.neighbours, {
      interactive: false,
      style: function () { return { fillColor: "#e8e4da", color: "#b5ad9c", weight: 0.8, fillOpacity: tiles ? 0 : 1 }; },
    }).addTo(map);
    var governorates = geo(B.governorates, {
      style: function (f) {
        var focus = f.properties.focus;
        return { fillColor: "#f7f5ef", fillOpacity: tiles ? 0 : 1, color: focus ? "#333333" : "#9a9a9a",
                 weight: focus ? 2.2 : 0.7, dashArray: focus ? null : "3 3", className: "territory-governorate" };
      },
      onEachFeature: function (f, l) { l.bindTooltip(el("span", f.properties.name)); },
    }).addTo(map);
    frameViews(map, B, governorates);
    geo(B.border, {
      style: function () { return { color: "#000000", weight: 3, opacity: 0.9, className: "territory-border" }; },
      onEachFeature: function (f, l) { l.bindTooltip(el("span", f.properties.label)); },
    }).addTo(map);
  }

  /** Control zones: one path per cell, restyled per date (a zone is the cells of one holder). */
  function baseZones(B) {
    var cells = [];
    S.groups.zones = geo(B.cells, {
      // Cells are filled without strokes, so one holder's cells read as one zone.
      // Thinly-held ground (beyond every place's reach) is dotted with white (render()): marked, but
      // without the loud light/dark discs that a lighter fill made around every desert place.
      style: function (f) {
        return { fillColor: "#cccccc", stroke: false, fillOpacity: 0.55, className: "territory-zone" };
      },
      onEachFeature: function (f, l) {
        cells[f.properties.i] = l;
        l.bindTooltip(function () { return el("span", zoneTipText(S.B, S.D, f.properties.i)); }, { sticky: true });
      },
    });
    S.cells = cells;
  }

  /** Places (canvas circle markers: many, cheap), the Hama villages and the key sites; popups composed on opening. */
  function baseMarkers(B) {
    var renderer = L.canvas({ padding: 0.5 });
    S.points = [];
    S.groups.points = L.layerGroup();
    for (var i = 0; i < B.places.xy.length; i++) {
      var m = L.circleMarker(B.places.xy[i], { renderer: renderer, radius: 3.5, color: "#222222", weight: 0.8, fillOpacity: 0.95 });
      m.bindTooltip(el("span", B.places.names[i]));
      m.bindPopup(placePopup(i));
      S.points.push(m);
      S.groups.points.addLayer(m);
    }
    S.villages = [];
    S.groups.villages = L.layerGroup();
    for (var v = 0; v < B.villages.xy.length; v++) {
      var vm = L.circleMarker(B.villages.xy[v], { radius: 5, weight: 1.5, color: "#3b2f2f", fillColor: "#3b2f2f", fillOpacity: 0, className: "territory-village" });
      vm.bindTooltip(villageTip(v));
      S.villages.push(vm);
      S.groups.villages.addLayer(vm);
    }
    S.sites = [];
    S.groups.sites = L.layerGroup();
    for (var s = 0; s < B.sites.place.length; s++) {
      var p = B.sites.place[s];
      var sm = L.marker(B.places.xy[p], { icon: siteIcon(B, s, "#777777") });
      sm.bindTooltip(el("span", B.places.names[p]));
      sm.bindPopup(sitePopup(s), { maxWidth: 300 });
      S.sites.push(sm);
      S.groups.sites.addLayer(sm);
    }
  }

  /** The legend: labels are text from the base data; swatch colours follow the frame's palette. Folded
   *  on narrow maps (phones), where it would cover a good part of the map. */
  function baseLegend(map, B) {
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var div = legendNode(B.labels, B.reachKm, map.getSize().x >= 600);
      S.swatches = div.querySelectorAll(".territory-swatch");
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    legend.addTo(map);
  }

  function siteIcon(B, s, colour) {
    var p = B.sites.place[s];
    var operator = (B.sites.operators || [])[s];
    var name = B.places.names[p] + (operator ? " (" + operator + ")" : "");
    return L.divIcon({ html: siteIconNode(name, B.sites.symbols[s], colour, !!operator),
                       className: "", iconSize: [24, 24], iconAnchor: [12, 12] });
  }

  // Rings of nearby disputed places overlap at low zoom: a click opens the claims of the place whose
  // centre is nearest to it (the one the reader aimed at), not of the ring drawn last.
  function openNearestDisputed(own) {
    return function (e) {
      var best = own, bestD = RING_RADIUS + 3, dis = (S.D && S.D.dis) || [];
      for (var i = 0; e.containerPoint && i < dis.length; i++) {
        var d = S.map.latLngToContainerPoint(S.B.places.xy[dis[i][0]]).distanceTo(e.containerPoint);
        if (d < bestD) { bestD = d; best = dis[i][0]; }
      }
      L.popup({ maxWidth: 300 }).setLatLng(S.B.places.xy[best]).setContent(placePopup(best)).openOn(S.map);
    };
  }

  function villageTip(v) { return function () { return villageTipNode(S.B, S.D, v); }; }

  function placePopup(p) { return function () { return placePopupNode(S.B, S.D, p, pageUrl()); }; }

  function sitePopup(s) { return function () { return sitePopupNode(S.B, S.D, s, pageUrl()); }; }

  function eventMarker(B, E, e) {
    var m = L.circleMarker(E.xy[e], { radius: 5, weight: 1.2, fill: false, className: "territory-event" });
    m.bindTooltip(el("span", E.what[e]));
    m.bindPopup(eventPopupNode(B, E, e));
    return m;
  }

  function eventLook(m, today, colour) {
    var look = today ? "today" : colour;
    if (m.territoryLook !== look) { // restyle only the markers whose look changes (each one redraws)
      m.setStyle({ radius: today ? 9 : 5, weight: today ? 2.5 : 1.2, color: today ? "#000000" : colour });
      m.setRadius(today ? 9 : 5);
      m.territoryLook = look;
    }
  }

  /** Put a layer group on the map or take it off (`on` may be undefined: off). */
  function show(st, name, on) {
    var g = st.groups[name];
    if (on && !st.map.hasLayer(g)) st.map.addLayer(g);
    if (!on && st.map.hasLayer(g)) st.map.removeLayer(g);
  }

  // A rerun's frame: the options (layers shown, palette, bands) and the server's date. The map shows
  // the date on the page's slider when there is one (it may already be ahead of the server), else the
  // frame's.
  function frame(group, F) {
    if (!S) { pendingFrame = [group, F]; return; } // drawn once the base data has loaded
    if (!options(F)) return;
    watchSlider();
    var d = sliderDay();
    render(d === null ? F.day : d);
  }

  // The host-neutral entry point: draw frame F (the same fields as a rerun's frame) at F.day. A page
  // that owns its date slider (the published static site) calls this on every step; frame() above
  // is the dashboard's glue around the same two steps.
  function draw(F) {
    if (options(F)) render(F.day);
  }

  function options(F) {
    if (!S) return false;
    if (!S.B.start || !S.B.deltas) {
      if (window.console) console.error("territory: the base data has no per-date codes; rebuild it (python -m territory build)");
      return false;
    }
    var key = JSON.stringify([F.shown, F.colours, F.bands || null, F.since || null]);
    var optionsChanged = key !== S.optionsKey;
    S.options = F;
    S.optionsKey = key;
    if (optionsChanged) drawBands(F.bands);
    // New options, or the date's own events or changed ground: draw again (only what differs is touched).
    if (optionsChanged || F.events || F.changes) S.drawnDay = null;
    return true;
  }

  // Draw one date with the current options; only what differs from what is on screen is touched.
  // One step per layer, in this order: a layer's paths exist only once it is on the map (show()),
  // and the labels are laid out last, over the day's changed places.
  function render(day) {
    var F = S.options;
    if (!F || day < 0 || day >= S.B.dates.length || day === S.drawnDay) return;
    var D = S.D = dayState(S.B, day, S.D), shown = shownSet(F.shown);
    S.drawnDay = day;
    paintSwatches(S.swatches, F.colours);
    drawZones(S, D, F.colours, shown.zones);
    drawPlaces(S, D, F.colours, shown.points);
    drawVillages(S, D, shown.villages);
    drawSites(S, D, F.colours, shown.sites);
    drawDisputes(S, D, shown.points || shown.sites);
    drawEvents(S, F, day, shown.events);
    show(S, "bands", shown.buffers);
    drawChanges(S, F, day, shown.changes);
    layoutLabels();
    // An open popup (a place's holder, a site) shows the new date's answer.
    var popup = S.map._popup;
    if (popup && S.map.hasLayer(popup)) popup.update();
  }

  /** @param {string[]} names layer ids shown (Frame.shown) @returns {Object<string, boolean>} */
  function shownSet(names) {
    var shown = {};
    for (var i = 0; i < names.length; i++) shown[names[i]] = true;
    return shown;
  }

  /** The legend's swatches take the frame's palette (colours[k]: controller code k). */
  function paintSwatches(swatches, colours) {
    for (var i = 0; swatches && i < swatches.length; i++) swatches[i].style.background = colours[i];
  }

  /**
   * Zones: recolour the cells whose holder's colour changed, give every path the date's class
   * (`territory-date-YYYY-MM-DD`, read by the tests and exports' checks) and dot thinly-held cells.
   * @param {State} st @param {DayState} D @param {string[]} colours @param {boolean} on
   */
  function drawZones(st, D, colours, on) {
    show(st, "zones", on);
    var cls = "leaflet-interactive territory-zone territory-date-" + st.B.dates[D.day];
    var features = st.B.cells.features, drawn = st.drawn.cells;
    for (var i = 0; i < st.cells.length; i++) {
      var l = st.cells[i], fill = colours[D.cells[i]];
      if (drawn[i] !== fill) { l.setStyle({ fillColor: fill }); drawn[i] = fill; }
      if (!l._path) continue;
      l._path.setAttribute("class", cls);
      if (features[i] && features[i].properties.thin) {
        var dotted = "url(#" + thinPattern(l._path, fill) + ")";
        if (l._path.getAttribute("fill") !== dotted) l._path.setAttribute("fill", dotted);
      }
    }
  }

  /** Places (control points): each dot in its holder's colour. @param {State} st @param {DayState} D */
  function drawPlaces(st, D, colours, on) {
    var drawn = st.drawn.points;
    for (var i = 0; i < st.points.length; i++) {
      var fill = colours[D.pc[i]];
      if (drawn[i] !== fill) { st.points[i].setStyle({ fillColor: fill }); drawn[i] = fill; }
    }
    show(st, "points", on);
  }

  /**
   * Northern-Hama villages: filled while held by another side than their baseline holder (and not
   * contested), empty again when retaken. @param {State} st @param {DayState} D
   */
  function drawVillages(st, D, on) {
    var V = st.B.villages;
    for (var i = 0; i < st.villages.length; i++) {
      var holder = D.pc[V.place[i]], opacity = holder !== V.base[i] && holder !== V.contested ? 0.9 : 0;
      if (st.villages[i].options.fillOpacity !== opacity) st.villages[i].setStyle({ fillOpacity: opacity });
    }
    show(st, "villages", on);
  }

  /** Sites: each icon framed in the colour of its place's holder. @param {State} st @param {DayState} D */
  function drawSites(st, D, colours, on) {
    var drawn = st.drawn.sites;
    for (var i = 0; i < st.sites.length; i++) {
      var fill = colours[D.pc[st.B.sites.place[i]]];
      if (drawn[i] !== fill) { st.sites[i].setIcon(siteIcon(st.B, i, fill)); drawn[i] = fill; }
    }
    show(st, "sites", on);
  }

  /**
   * Places whose holder another source disputes on the date: one dashed ring each (its popup: both
   * claims), redrawn only when the date's dispute list is another one.
   * @param {State} st @param {DayState} D @param {boolean} on (shown with the places or the sites)
   */
  function drawDisputes(st, D, on) {
    if (st.drawn.dis !== D.dis) {
      st.drawn.dis = D.dis;
      st.groups.disputed.clearLayers();
      var dis = D.dis || [], ringed = {};
      for (var i = 0; i < dis.length; i++) {
        var p = dis[i][0];
        if (ringed[p]) continue;
        ringed[p] = true;
        // Filled (transparently) and in a pane above the markers: a click anywhere on it opens both claims.
        var ring = L.circleMarker(st.B.places.xy[p], { radius: RING_RADIUS, weight: 2.5, dashArray: "3 3", color: "#e66100",
                                                       fill: true, fillOpacity: 0, pane: "territoryDisputed",
                                                       className: "territory-disputed", place: p });
        ring.bindTooltip(el("span", st.B.places.names[p] + ": disputed"));
        ring.on("click", openNearestDisputed(p));
        st.groups.disputed.addLayer(ring);
      }
    }
    show(st, "disputed", on);
  }

  /**
   * Events: with the base data's (a short timeline), every event up to the date, the date's own
   * larger; else the frame's (a long timeline: the date's own), drawn while the map shows its date.
   * @param {State} st @param {Frame} F @param {number} day @param {boolean} on
   */
  function drawEvents(st, F, day, on) {
    var g = st.groups.events, E = st.B.events, other = "#555555", m, i;
    if (E) {
      for (i = 0; i < E.xy.length; i++) {
        m = st.eventLayers[i];
        if (E.day[i] > day) {
          if (m && g.hasLayer(m)) g.removeLayer(m);
          continue;
        }
        m = st.eventLayers[i] = m || eventMarker(st.B, E, i);
        eventLook(m, E.day[i] === day, F.colours[E.c[i]] || other);
        if (!g.hasLayer(m)) g.addLayer(m);
      }
    } else if (F.events && F.day === day && st.drawn.frameEvents !== F.events) {
      st.drawn.frameEvents = F.events;
      g.clearLayers();
      var R = F.events;
      for (i = 0; i < R.xy.length; i++) {
        m = eventMarker(st.B, R, i);
        eventLook(m, R.day[i] === day, F.colours[R.c[i]] || other);
        g.addLayer(m);
      }
    }
    show(st, "events", on);
  }

  /**
   * What changed hands since the previous date (the base data's for a short timeline, else the
   * frame's), or since the earlier date the reader chose (the frame's, on the frame's own day):
   * dashed outlines hatched in the colour of the side that gained the ground.
   * @param {State} st @param {Frame} F @param {number} day @param {boolean} on
   */
  function drawChanges(st, F, day, on) {
    var group = st.groups.changes, colours = F.colours, i;
    group.clearLayers();
    var changes = F.changes && F.day === day ? F.changes : st.B.changes ? st.B.changes[day] : null;
    if (changes) {
      var hatched = [];
      geo(changes, {
        style: function (f) {
          return { color: "#000000", weight: 2.5, dashArray: "6 4", fillColor: colours[f.properties.c],
                   fillOpacity: 0.6, className: "territory-change" };
        },
        onEachFeature: function (f, l) {
          l.bindTooltip(el("span", f.properties.t), { sticky: true });
          hatched.push([l, f.properties.c]);
        },
      }).addTo(group);
      show(st, "changes", on); // the paths exist once the group is on the map
      for (i = 0; i < hatched.length; i++) {
        var path = hatched[i][0]._path;
        if (path) path.setAttribute("fill", "url(#" + hatch(path, hatched[i][1], colours[hatched[i][1]]) + ")");
      }
    }
    show(st, "changes", on);
  }

  // An SVG pattern of diagonal lines in a side's colour, made once per colour in the map's SVG.
  function hatch(path, code, colour) {
    var svg = path.ownerSVGElement, ns = "http://www.w3.org/2000/svg";
    var id = "territory-hatch-" + code + "-" + String(colour).replace(/[^0-9a-zA-Z]/g, "");
    if (svg && !svg.querySelector("#" + id)) {
      var defs = svg.querySelector("defs") || svg.insertBefore(document.createElementNS(ns, "defs"), svg.firstChild);
      var pattern = document.createElementNS(ns, "pattern");
      pattern.setAttribute("id", id);
      pattern.setAttribute("patternUnits", "userSpaceOnUse");
      pattern.setAttribute("width", "8");
      pattern.setAttribute("height", "8");
      pattern.setAttribute("patternTransform", "rotate(45)");
      var line = document.createElementNS(ns, "rect");
      line.setAttribute("width", "3");
      line.setAttribute("height", "8");
      line.setAttribute("fill", colour);
      pattern.appendChild(line);
      defs.appendChild(pattern);
    }
    return id;
  }

  // Thinly-held ground: the side's colour dotted with white, one pattern per colour.
  function thinPattern(path, colour) {
    var svg = path.ownerSVGElement, ns = "http://www.w3.org/2000/svg";
    var id = "territory-thin-" + String(colour).replace(/[^0-9a-zA-Z]/g, "");
    if (svg && !svg.querySelector("#" + id)) {
      var defs = svg.querySelector("defs") || svg.insertBefore(document.createElementNS(ns, "defs"), svg.firstChild);
      var pattern = document.createElementNS(ns, "pattern");
      pattern.setAttribute("id", id);
      pattern.setAttribute("patternUnits", "userSpaceOnUse");
      pattern.setAttribute("width", "5");
      pattern.setAttribute("height", "5");
      var bg = document.createElementNS(ns, "rect");
      bg.setAttribute("width", "5");
      bg.setAttribute("height", "5");
      bg.setAttribute("fill", colour);
      var dot = document.createElementNS(ns, "circle");
      dot.setAttribute("cx", "2.5");
      dot.setAttribute("cy", "2.5");
      dot.setAttribute("r", "1");
      dot.setAttribute("fill", "#ffffff");
      pattern.appendChild(bg);
      pattern.appendChild(dot);
      defs.appendChild(pattern);
    }
    return id;
  }

  // Bands: the default ones come with the base data, custom ones with the frame.
  function drawBands(bands) {
    S.groups.bands.clearLayers();
    for (var i = 0; bands && i < bands.length; i++) {
      var b = bands[i];
      drawBand(S.groups.bands, b.ref !== undefined ? S.B.bands[b.ref] : b.feature, b.colour, b.at);
    }
  }

  // The page's date slider (Streamlit's, in the parent page; same origin). Reading it lets the map
  // redraw the moment the slider moves, from the per-date data it already has; the rerun that
  // follows updates the rest of the page. Without access to it, the map waits for the frames.
  var SLIDER = 'input[type="range"][aria-label="Date"]';

  function parentDocument() {
    try {
      return window.parent && window.parent !== window ? window.parent.document : null;
    } catch (e) {
      return null; // another origin
    }
  }

  function sliderDay() {
    var doc = parentDocument(), el = doc && doc.querySelector(SLIDER);
    if (!el) {
      if (!S.warnedSlider && window.console) {
        console.warn("territory: no date slider found in the page; the map follows the server's frames only");
      }
      S.warnedSlider = true;
      return null;
    }
    var text = el.getAttribute("aria-valuetext"), i = S.B.dates.indexOf(text);
    if (i < 0) { // the slider shows dates for people ("Fri 29 Nov 2024")
      if (!S.humanDates) S.humanDates = S.B.dates.map(humanDate);
      i = S.humanDates.indexOf(text);
    }
    return i < 0 ? null : i;
  }

  function watchSlider() {
    var doc = parentDocument();
    if (S.watching || !doc || !doc.body || !window.MutationObserver) return;
    var observer = new MutationObserver(function () {
      var d = sliderDay();
      if (d !== null && S.options) render(d);
    });
    observer.observe(doc.body, { subtree: true, attributes: true, attributeFilter: ["aria-valuetext"] });
    window.addEventListener("pagehide", function () { observer.disconnect(); });
    S.watching = true;
  }

  function drawBand(target, f, colour, at) {
    geo(f, {
      style: function () { return { color: colour, weight: 2, dashArray: "8 5", fill: false, className: "territory-band" }; },
      onEachFeature: function (ff, l) { l.bindTooltip(el("span", ff.properties.t), { sticky: true }); },
    }).addTo(target);
    if (at) {
      L.marker(at, {
        interactive: false,
        icon: L.divIcon({
          html: bandLabelNode(f.properties.label, colour),
          className: "", iconSize: [50, 14], iconAnchor: [25, -2],
        }),
      }).addTo(target);
    }
  }

  return {
    base: base,
    frame: frame,
    draw: draw,
    dom: {
      el: el, isWebUrl: isWebUrl, sourceNode: sourceNode, placePopupNode: placePopupNode,
      sitePopupNode: sitePopupNode, eventPopupNode: eventPopupNode, villageTipNode: villageTipNode, dayState: dayState,
      zoneTipText: zoneTipText, legendNode: legendNode, siteIconNode: siteIconNode, bandLabelNode: bandLabelNode,
      humanDate: humanDate, placeLabels: placeLabels,
    },
    layers: {
      shownSet: shownSet, swatches: paintSwatches, zones: drawZones, places: drawPlaces, villages: drawVillages,
      sites: drawSites, disputes: drawDisputes, events: drawEvents, changes: drawChanges, show: show,
    },
  };
})();
