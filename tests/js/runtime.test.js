// Unit tests of the map runtime's data handling (static/territory/territory.js), with node's own
// test runner: `node --test tests/js/` (tests/test_runtime_js.py runs it under pytest).
// A tiny fake DOM records what the runtime builds; setting innerHTML on it throws, so any markup
// built from data fails these tests.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");

class FakeNode {
  constructor(tag) {
    this.tagName = tag;
    this.children = [];
    this.attributes = {};
    this.style = {};
    this._text = "";
  }
  set textContent(v) { this._text = String(v); this.children = []; }
  get textContent() { return this._text + this.children.map((c) => c.textContent).join(""); }
  set innerHTML(_v) { throw new Error("innerHTML must not be used"); }
  appendChild(c) { this.children.push(c); return c; }
  setAttribute(k, v) { this.attributes[k] = String(v); }
  getAttribute(k) { return this.attributes[k]; }
  querySelectorAll(sel) {
    const cls = sel.replace(/^\./, "");
    const out = [];
    const walk = (n) => {
      for (const c of n.children || []) {
        if (((c.attributes || {})["class"] || "").split(" ").includes(cls)) out.push(c);
        walk(c);
      }
    };
    walk(this);
    return out;
  }
  find(tag) {
    const out = [];
    const walk = (n) => { for (const c of n.children || []) { if (c.tagName === tag) out.push(c); walk(c); } };
    walk(this);
    return out;
  }
}
class FakeText { constructor(t) { this.textContent = String(t); this.tagName = "#text"; } }

// A tiny stand-in for the parts of Leaflet the layer steps call: markers and paths record their
// styles, groups and the map record which layers they hold.
class FakeLayer {
  constructor(latlng, options) {
    this.latlng = latlng;
    this.options = Object.assign({}, options);
    this.styled = 0; // setStyle calls: the runtime restyles only what changed
    this.iconsSet = 0;
    this.handlers = {};
  }
  setStyle(s) { this.styled++; Object.assign(this.options, s); return this; }
  setRadius(r) { this.options.radius = r; return this; }
  setIcon(icon) { this.iconsSet++; this.icon = icon; return this; }
  bindTooltip(t) { this.tooltip = t; return this; }
  bindPopup(p) { this.popup = p; return this; }
  on(event, fn) { this.handlers[event] = fn; return this; }
}
class FakePath {
  constructor() { this.attributes = {}; this.ownerSVGElement = null; }
  setAttribute(k, v) { this.attributes[k] = String(v); }
  getAttribute(k) { return this.attributes[k]; }
}
class FakeGroup {
  constructor() { this.layers = []; }
  addLayer(l) { if (!this.hasLayer(l)) this.layers.push(l); return this; }
  removeLayer(l) { this.layers = this.layers.filter((x) => x !== l); return this; }
  hasLayer(l) { return this.layers.includes(l); }
  clearLayers() { this.layers = []; return this; }
}
const FakeL = {
  circleMarker: (latlng, options) => new FakeLayer(latlng, options),
  divIcon: (options) => ({ html: options.html }),
  geoJSON: (fc, options) => {
    const layers = fc.features.map((f) => {
      const l = new FakeLayer(null, options.style(f));
      l._path = new FakePath();
      options.onEachFeature(f, l);
      return l;
    });
    return { layers, addTo(g) { g.addLayer(this); return this; } };
  },
};

function loadRuntime() {
  const document = { createElement: (t) => new FakeNode(t), createTextNode: (t) => new FakeText(t) };
  const window = {};
  const code = fs.readFileSync(path.join(__dirname, "..", "..", "static", "territory", "territory.js"), "utf8");
  vm.runInNewContext(code, { window, document, console, URL, L: FakeL });
  return window.territory;
}

const runtime = loadRuntime();
const dom = runtime.dom;
const layers = runtime.layers;
const EVIL = "<img src=x onerror=\"window.__pwned=1\">";

// A base-data shape with one place, one site, one event, one village, two days (the second: a delta).
const B = {
  labels: ["Government", "HTS <b>led</b>", "SNA", "SDF", "Contested"],
  dates: ["2024-11-26", "2024-11-27"],
  srcs: [{ t: "GeoNames", u: "" }, { t: "Evil " + EVIL, u: "javascript:alert(1)" }, { t: "Good", u: "https://example.org/a" }],
  places: { names: ["Base " + EVIL], ids: ["evil-base"] },
  sites: { place: [0], kinds: ["air base"], symbols: ["✈"] },
  events: { what: ["2024-11-26: " + EVIL], notes: ["note " + EVIL], s: [2] },
  villages: { names: [EVIL], captured: [null], place: [0], base: [0], contested: 4 },
  cellKm2: [12.4],
  start: { pc: [1], since: [0], src: [1], cells: [1], dis: [[0, 0, 2]] },
  deltas: [{}, { c: [0, 2], p: [0, 2, 1, 2], dis: [] }],
};
const D0 = dom.dayState(B, 0, null);

test("text from the data stays text", () => {
  const node = dom.placePopupNode(B, D0, 0);
  assert.ok(node.textContent.includes("Base " + EVIL));
  assert.equal(node.find("img").length, 0);
  assert.ok(node.textContent.includes("HTS <b>led</b> since Tue 26 Nov 2024"));
});

test("a source with a javascript: URL is not a link", () => {
  const node = dom.sourceNode(B.srcs[1]);
  assert.equal(node.tagName, "span");
  assert.equal(node.textContent, "Evil " + EVIL);
  const hrefs = dom.placePopupNode(B, D0, 0, "http://127.0.0.1/").find("a").map((a) => a.getAttribute("href"));
  assert.ok(hrefs.every((h) => !h.toLowerCase().startsWith("javascript")), hrefs);
});

test("a disputed holder shows the other claim with its source", () => {
  const node = dom.placePopupNode(B, D0, 0, "http://127.0.0.1/");
  assert.ok(node.textContent.includes("Disputed: another source has Government"));
  assert.ok(node.find("a").some((a) => a.getAttribute("href") === "https://example.org/a"));
});

test("a place's popup links to its history, keeping the page's other URL state", () => {
  const page = "http://127.0.0.1:8501/?date=2024-11-30&depths=10";
  const links = dom.placePopupNode(B, D0, 0, page).find("a").filter((a) => a.textContent.startsWith("History of this place"));
  assert.equal(links.length, 1);
  assert.equal(links[0].getAttribute("href"), "http://127.0.0.1:8501/?date=2024-11-30&depths=10&place=evil-base");
  assert.equal(links[0].getAttribute("target"), "_blank");
});

test("an uploaded timeline's places point to the page's own history tab, not a new tab", () => {
  const node = dom.placePopupNode(Object.assign({}, B, { historyInPage: true }), D0, 0, "http://127.0.0.1:8501/");
  assert.equal(node.find("a").filter((a) => a.textContent.startsWith("History")).length, 0);
  assert.ok(node.textContent.includes("History: the Place history tab"));
});

test("an http(s) source is a safe link", () => {
  const a = dom.sourceNode(B.srcs[2]);
  assert.equal(a.tagName, "a");
  assert.equal(a.getAttribute("href"), "https://example.org/a");
  assert.equal(a.getAttribute("rel"), "noopener noreferrer");
  assert.equal(a.getAttribute("target"), "_blank");
  assert.equal(a.textContent, "Good");
});

test("only plain http(s) URLs are web URLs", () => {
  assert.ok(dom.isWebUrl("https://example.org/x?y=1"));
  assert.ok(dom.isWebUrl("HTTP://example.org"));
  for (const bad of ["javascript:alert(1)", "data:text/html,x", "//example.org", "https://a.org/\"onmouseover=x", "", null]) {
    assert.ok(!dom.isWebUrl(bad), String(bad));
  }
});

test("event popup: what, note and linked source", () => {
  const node = dom.eventPopupNode(B, B.events, 0);
  assert.ok(node.textContent.includes("note " + EVIL));
  const links = node.find("a");
  assert.equal(links.length, 1);
  assert.equal(links[0].getAttribute("href"), "https://example.org/a");
});

test("site popup names the site, its kind and holder", () => {
  const text = dom.sitePopupNode(B, D0, 0, "http://127.0.0.1/").textContent;
  assert.ok(text.startsWith("Base " + EVIL));
  assert.ok(text.includes("air base") && text.includes("Held by: HTS <b>led</b>"));
});

test("village tooltip shows the day's holder", () => {
  const text = dom.villageTipNode(B, D0, 0).textContent;
  assert.ok(text.includes("no dated capture") && text.includes("held by HTS <b>led</b> on Tue 26 Nov 2024"));
});

test("zone tooltip: holder, area and date", () => {
  assert.equal(dom.zoneTipText(B, D0, 0), "HTS <b>led</b>: 12 km² on Tue 26 Nov 2024");
});

test("a date's codes are the first date's plus the deltas, forward and back", () => {
  const d1 = dom.dayState(B, 1, dom.dayState(B, 0, null));
  assert.deepEqual([d1.cells[0], d1.pc[0], d1.since[0], d1.src[0], d1.dis.length], [2, 2, 1, 2, 0]);
  assert.equal(d1.areas[2], "12 km²");
  const back = dom.dayState(B, 0, d1); // going back rebuilds from the start
  assert.deepEqual([back.cells[0], back.pc[0], back.dis.length, back.areas[1]], [1, 1, 1, "12 km²"]);
  assert.equal(B.start.cells[0], 1); // the base data itself is never changed
  assert.equal(dom.zoneTipText(B, d1, 0), "SNA: 12 km² on Wed 27 Nov 2024");
});

test("a frame-borne event carries its own source, still text and safe links only", () => {
  const E = { what: ["2024-11-27: " + EVIL], notes: [EVIL], s: [{ t: "Row " + EVIL, u: "javascript:alert(1)" }] };
  const node = dom.eventPopupNode(B, E, 0);
  assert.ok(node.textContent.includes("Row " + EVIL));
  assert.equal(node.find("a").length, 0);
  assert.equal(node.find("img").length, 0);
});

test("legend: one swatch per controller, labels as text", () => {
  const legend = dom.legendNode(B.labels);
  assert.equal(legend.querySelectorAll(".territory-swatch").length, B.labels.length);
  assert.ok(legend.textContent.includes("HTS <b>led</b>"));
  assert.equal(legend.find("b").length, 0);
});

test("the legend folds: open on wide maps, folded on narrow ones", () => {
  assert.equal(dom.legendNode(B.labels, 15, true).tagName, "details");
  assert.equal(dom.legendNode(B.labels, 15, true).getAttribute("open"), "");
  assert.equal(dom.legendNode(B.labels, 15, false).getAttribute("open"), undefined);
  assert.equal(dom.legendNode(B.labels, 15, false).find("summary")[0].textContent, "Legend");
});

test("dates for people: weekday, day, month and year", () => {
  assert.equal(dom.humanDate("2024-11-29"), "Fri 29 Nov 2024");
  assert.equal(dom.humanDate("2024-12-01"), "Sun 1 Dec 2024");
  assert.equal(dom.humanDate("not a date"), "not a date");
});

test("place names: none overlap, the map's edges kept, a must-have name always placed", () => {
  const items = [];
  for (let i = 0; i < 40; i++) items.push({ p: i, x: 100 + (i % 5) * 6, y: 100 + Math.floor(i / 5) * 5, text: "Name" + i });
  items.unshift({ p: 99, x: 103, y: 103, text: "Capital", must: true });
  const placed = dom.placeLabels(items, [400, 300]);
  assert.equal(placed[0].p, 99);
  assert.ok(placed.length > 1 && placed.length < items.length);
  for (let i = 0; i < placed.length; i++) {
    const a = placed[i].box;
    assert.ok(a[0] >= 0 && a[1] >= 0 && a[0] + a[2] <= 400 && a[1] + a[3] <= 300);
    for (let j = 0; j < i; j++) {
      const b = placed[j].box;
      const overlap = a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
      assert.ok(!overlap, `${placed[i].text} overlaps ${placed[j].text}`);
    }
  }
});

test("a name goes where it covers no other place's icon or ring, and may sit by its own", () => {
  // Right of the dot is the first choice; another place's icon there sends the name to the left.
  const icon = { p: 7, box: [106, 92, 24, 24] };
  const [moved] = dom.placeLabels([{ p: 1, x: 100, y: 100, text: "Aleppo" }], [400, 300], [icon]);
  assert.ok(moved.box[0] + moved.box[2] <= 100, `expected left of the dot, got ${moved.box}`);
  const overlap = (a, b) => a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
  assert.ok(!overlap(moved.box, icon.box));
  // The place's own icon is no obstacle: its name keeps the first box.
  const [own] = dom.placeLabels([{ p: 7, x: 100, y: 100, text: "Kuweires" }], [400, 300], [icon]);
  assert.equal(own.box[0], 105);
  // Boxed in by obstacles on every side, the name still shows (names over icons beat no names).
  const around = [[106, 92], [40, 92], [88, 60], [88, 106]].map(([x, y], i) => ({ p: 10 + i, box: [x, y, 60, 24] }));
  assert.equal(dom.placeLabels([{ p: 1, x: 100, y: 100, text: "Aleppo" }], [400, 300], around).length, 1);
});

test("site icon and band label carry text and attributes only", () => {
  const icon = dom.siteIconNode("Base " + EVIL, "✈", "#ff0000");
  assert.equal(icon.getAttribute("title"), "Base " + EVIL);
  assert.equal(icon.textContent, "✈");
  assert.ok(icon.getAttribute("style").endsWith("border:2px solid #ff0000"));
  const label = dom.bandLabelNode("22 mi", "#111111");
  assert.equal(label.textContent, "22 mi");
});

// --- render()'s layer steps, on a hand-made payload (the typedef block in territory.js names the keys)
// Two cells (the second thinly held), two places (Aleppo with an air base; Idlib with a Hama
// village), three dates: on the 28th both fall to HTS (a changed cell, ground hatched); on the 29th
// Idlib is contested. On the 27th two sources dispute Idlib's holder.
const COLOURS = ["#aa0000", "#00aa00", "#0000aa", "#aaaa00", "#00aaaa", "#888888"];
const P = {
  labels: ["Government", "HTS", "SNA", "SDF", "Israel", "Contested"],
  dates: ["2024-11-27", "2024-11-28", "2024-11-29"],
  srcs: [{ t: "GeoNames", u: "" }, { t: "Report", u: "https://example.org/r" }],
  cells: { type: "FeatureCollection", features: [{ properties: { i: 0, thin: false } }, { properties: { i: 1, thin: true } }] },
  places: { xy: [[36.2, 37.16], [35.93, 36.63]], names: ["Aleppo", "Idlib"], ids: ["aleppo", "idlib"] },
  sites: { place: [0], symbols: ["✈"], kinds: ["air base"], operators: [""] },
  villages: { xy: [[35.3, 36.7]], names: ["Kafr Nabudah"], captured: ["2024-11-28"], place: [1], base: [0], contested: 5 },
  events: {
    xy: [[36.2, 37.16], [35.93, 36.63]], day: [1, 2], c: [1, 6],
    what: ["Thu 28 Nov 2024: Aleppo: taken by HTS", "Fri 29 Nov 2024: Idlib: a report"], notes: ["n1", "n2"], s: [1, 0],
  },
  cellKm2: [100, 50],
  start: { cells: [0, 0], pc: [0, 0], since: [0, 0], src: [0, 0], dis: [[1, 1, 1], [1, 2, 1]] },
  deltas: [{}, { c: [0, 1], p: [0, 1, 1, 1, 1, 1, 1, 1], dis: [] }, { p: [1, 5, 2, 1] }],
  changes: [null, { type: "FeatureCollection", features: [{ properties: { c: 1, t: "Changed 27 Nov → 28 Nov: Government → HTS, 100 km²" } }] }, null],
};

// A State as base() makes it, with fake layers.
function makeState(B) {
  const map = new FakeGroup();
  const st = {
    map, B, groups: {}, eventLayers: [],
    drawn: { cells: [], points: [], sites: [], dis: null, frameEvents: null },
    cells: B.cells.features.map(() => Object.assign(new FakeLayer(), { _path: new FakePath() })),
    points: B.places.xy.map((xy) => new FakeLayer(xy, {})),
    villages: B.villages.xy.map((xy) => new FakeLayer(xy, { fillOpacity: 0 })),
    sites: B.sites.place.map(() => new FakeLayer()),
  };
  for (const g of ["zones", "points", "villages", "sites", "disputed", "events", "bands", "changes"]) st.groups[g] = new FakeGroup();
  return st;
}
const day = (d, cur) => dom.dayState(P, d, cur || null);

test("layers: shown ids become a set; show() puts a group on the map and takes it off", () => {
  const shown = layers.shownSet(["zones", "events"]);
  assert.ok(shown.zones && shown.events && !shown.points);
  const st = makeState(P);
  layers.show(st, "bands", true);
  assert.ok(st.map.hasLayer(st.groups.bands));
  layers.show(st, "bands", undefined); // a layer not in the shown set
  assert.ok(!st.map.hasLayer(st.groups.bands));
});

test("layers: the legend's swatches take the palette", () => {
  const sw = [{ style: {} }, { style: {} }];
  layers.swatches(sw, COLOURS);
  assert.deepEqual(sw.map((s) => s.style.background), ["#aa0000", "#00aa00"]);
});

test("layers: zones take their holder's colour and the date's class; only changed cells are restyled", () => {
  const st = makeState(P);
  let D = day(0);
  layers.zones(st, D, COLOURS, true);
  assert.ok(st.map.hasLayer(st.groups.zones));
  assert.deepEqual(st.cells.map((l) => l.options.fillColor), ["#aa0000", "#aa0000"]);
  assert.equal(st.cells[0]._path.getAttribute("class"), "leaflet-interactive territory-zone territory-date-2024-11-27");
  assert.equal(st.cells[0]._path.getAttribute("fill"), undefined);
  assert.equal(st.cells[1]._path.getAttribute("fill"), "url(#territory-thin-aa0000)"); // thinly held: dotted
  D = day(1, D);
  layers.zones(st, D, COLOURS, false);
  assert.ok(!st.map.hasLayer(st.groups.zones));
  assert.deepEqual(st.cells.map((l) => [l.options.fillColor, l.styled]), [["#00aa00", 2], ["#aa0000", 1]]);
  assert.equal(st.cells[1]._path.getAttribute("class"), "leaflet-interactive territory-zone territory-date-2024-11-28");
});

test("layers: places are dotted in their holder's colour, restyled only when it changes", () => {
  const st = makeState(P);
  layers.places(st, day(0), COLOURS, true);
  assert.deepEqual(st.points.map((m) => m.options.fillColor), ["#aa0000", "#aa0000"]);
  assert.ok(st.map.hasLayer(st.groups.points));
  layers.places(st, day(1), COLOURS, false);
  assert.deepEqual(st.points.map((m) => m.options.fillColor), ["#00aa00", "#00aa00"]);
  layers.places(st, day(2), COLOURS, false);
  assert.deepEqual(st.points.map((m) => [m.options.fillColor, m.styled]), [["#00aa00", 2], ["#888888", 3]]);
  assert.ok(!st.map.hasLayer(st.groups.points));
});

test("layers: a village is filled while another side holds it, empty when contested or its holder's again", () => {
  const st = makeState(P);
  const opacity = (d) => { layers.villages(st, day(d), true); return st.villages[0].options.fillOpacity; };
  assert.equal(opacity(0), 0); // its baseline holder
  assert.equal(opacity(1), 0.9); // taken by HTS
  assert.equal(opacity(2), 0); // contested
  assert.ok(st.map.hasLayer(st.groups.villages));
});

test("layers: a site's icon is framed in its place's holder's colour, remade only when it changes", () => {
  const st = makeState(P);
  layers.sites(st, day(0), COLOURS, true);
  const icon = st.sites[0].icon.html;
  assert.equal(icon.getAttribute("title"), "Aleppo");
  assert.equal(icon.textContent, "✈");
  assert.ok(icon.getAttribute("style").endsWith("border:2px solid #aa0000"));
  layers.sites(st, day(0), COLOURS, true);
  assert.equal(st.sites[0].iconsSet, 1);
  layers.sites(st, day(1), COLOURS, false);
  assert.ok(st.sites[0].icon.html.getAttribute("style").endsWith("border:2px solid #00aa00"));
  assert.equal(st.sites[0].iconsSet, 2);
  assert.ok(!st.map.hasLayer(st.groups.sites));
});

test("layers: one dashed ring per disputed place, redrawn only when the dispute list changes", () => {
  const st = makeState(P);
  const D0 = day(0);
  layers.disputes(st, D0, true);
  const rings = st.groups.disputed.layers;
  assert.equal(rings.length, 1); // two claims on Idlib, one ring
  assert.deepEqual(Array.from(rings[0].latlng), [35.93, 36.63]);
  assert.equal(rings[0].options.className, "territory-disputed");
  assert.equal(rings[0].tooltip.textContent, "Idlib: disputed");
  assert.equal(typeof rings[0].handlers.click, "function");
  assert.ok(st.map.hasLayer(st.groups.disputed));
  layers.disputes(st, D0, true);
  assert.equal(st.groups.disputed.layers[0], rings[0]); // the same list: not redrawn
  layers.disputes(st, day(1), false);
  assert.equal(st.groups.disputed.layers.length, 0);
  assert.ok(!st.map.hasLayer(st.groups.disputed));
});

test("layers: the base data's events up to the date, the date's own larger, a sideless one grey", () => {
  const st = makeState(P);
  const F = { day: 2, colours: COLOURS, shown: ["events"] };
  layers.events(st, F, 0, true);
  assert.equal(st.groups.events.layers.length, 0);
  layers.events(st, F, 1, true);
  const [first] = st.groups.events.layers;
  assert.deepEqual([first.options.radius, first.options.color], [9, "#000000"]); // the date's own
  assert.equal(first.tooltip.textContent, "Thu 28 Nov 2024: Aleppo: taken by HTS");
  assert.ok(first.popup.find("a").some((a) => a.getAttribute("href") === "https://example.org/r"));
  layers.events(st, F, 2, true);
  const [a, b] = st.groups.events.layers;
  assert.equal(a, first); // made once, restyled
  assert.deepEqual([a.options.radius, a.options.color], [5, "#00aa00"]);
  assert.deepEqual([b.options.radius, b.options.color], [9, "#000000"]);
  layers.events(st, F, 1, false); // back a day: the later event goes
  assert.deepEqual(st.groups.events.layers, [first]);
  assert.equal(st.eventLayers[1].options.color, "#000000");
  layers.events(st, F, 2, true);
  assert.equal(st.eventLayers[1].options.color, "#000000");
  layers.events(st, F, 0, true);
  assert.equal(st.groups.events.layers.length, 0);
  assert.ok(st.map.hasLayer(st.groups.events));
  // A sideless event (code past the palette) is grey when not the date's own.
  const st2 = makeState(Object.assign({}, P, { events: Object.assign({}, P.events, { day: [0, 1] }) }));
  layers.events(st2, F, 2, true);
  assert.equal(st2.eventLayers[1].options.color, "#555555");
});

test("layers: a long timeline's events come with the frame, drawn on the frame's own date", () => {
  const st = makeState(Object.assign({}, P, { events: null }));
  const E = { xy: [[36.2, 37.16]], day: [1], c: [1], what: ["Thu 28 Nov 2024: Aleppo"], notes: ["n"], s: [{ t: "Row", u: "https://example.org/x" }], total: 3 };
  layers.events(st, { day: 1, colours: COLOURS, events: E }, 0, true); // the slider is ahead of the frame: nothing
  assert.equal(st.groups.events.layers.length, 0);
  layers.events(st, { day: 1, colours: COLOURS, events: E }, 1, true);
  assert.equal(st.groups.events.layers.length, 1);
  assert.equal(st.groups.events.layers[0].options.radius, 9);
  assert.ok(st.groups.events.layers[0].popup.find("a").some((a) => a.getAttribute("href") === "https://example.org/x"));
  assert.equal(st.drawn.frameEvents, E);
});

test("layers: changed ground is outlined and hatched in the gaining side's colour; a frame's comparison wins on its day", () => {
  const st = makeState(P);
  const F = { day: 2, colours: COLOURS };
  layers.changes(st, F, 0, true);
  assert.equal(st.groups.changes.layers.length, 0);
  layers.changes(st, F, 1, true);
  const [fc] = st.groups.changes.layers;
  const [path] = fc.layers;
  assert.equal(path.options.fillColor, "#00aa00");
  assert.equal(path.options.className, "territory-change");
  assert.equal(path.tooltip.textContent, "Changed 27 Nov → 28 Nov: Government → HTS, 100 km²");
  assert.equal(path._path.getAttribute("fill"), "url(#territory-hatch-1-00aa00)");
  assert.ok(st.map.hasLayer(st.groups.changes));
  const since = { type: "FeatureCollection", features: [{ properties: { c: 5, t: "Changed 27 Nov → 29 Nov" } }] };
  layers.changes(st, Object.assign({}, F, { changes: since }), 2, false);
  assert.equal(st.groups.changes.layers.length, 1);
  assert.equal(st.groups.changes.layers[0].layers[0].tooltip.textContent, "Changed 27 Nov → 29 Nov");
  assert.ok(!st.map.hasLayer(st.groups.changes));
  layers.changes(st, Object.assign({}, F, { changes: since }), 1, true); // not the frame's day: the base data's
  assert.equal(st.groups.changes.layers[0].layers[0].options.fillColor, "#00aa00");
});
