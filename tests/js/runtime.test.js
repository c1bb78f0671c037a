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

function loadRuntime() {
  const document = { createElement: (t) => new FakeNode(t), createTextNode: (t) => new FakeText(t) };
  const window = {};
  const code = fs.readFileSync(path.join(__dirname, "..", "..", "static", "territory", "territory.js"), "utf8");
  vm.runInNewContext(code, { window, document, console, URL });
  return window.territory.dom;
}

const dom = loadRuntime();
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

test("site icon and band label carry text and attributes only", () => {
  const icon = dom.siteIconNode("Base " + EVIL, "✈", "#ff0000");
  assert.equal(icon.getAttribute("title"), "Base " + EVIL);
  assert.equal(icon.textContent, "✈");
  assert.ok(icon.getAttribute("style").endsWith("border:2px solid #ff0000"));
  const label = dom.bandLabelNode("22 mi", "#111111");
  assert.equal(label.textContent, "22 mi");
});
