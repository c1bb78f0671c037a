// The published site's controls (python -m territory publish): a date slider, bands, layers and
// palette kept in the URL, the day's events, the bands' figures, downloads and place histories.
// The map itself is the dashboard's runtime (territory.js): this page builds the same frame the
// dashboard's server sends and calls territory.draw() with it. Data strings reach the page as text
// (textContent, attributes) only; links are made by the runtime's sourceNode (http(s) URLs only).
(function () {
  "use strict";
  var C = JSON.parse(document.getElementById("territory-site").textContent);
  var T = window.TERRITORY_SITE, B = window.TERRITORY_BASE, R = window.territory, dom = R.dom, el = dom.el;
  var N = C.dates.length;
  function human(i) { return dom.humanDate(C.dates[i]); } // "Fri 29 Nov 2024", as the map's popups
  var params = new URLSearchParams(window.location.search);
  var warnings = [];
  var state = { day: Math.max(0, C.dates.indexOf(C.defaults.date)), depths: C.defaults.depths.slice(), layers: C.defaults.layers.slice(), palette: C.defaults.palette };
  var embed = params.get("embed") === "1" && !params.get("place"); // a history opens the whole page
  var bandByDepth = {};
  T.bands.forEach(function (b) { bandByDepth[b.depth] = b; });

  function shown(v) { v = String(v).slice(0, 40); return JSON.stringify(v); }

  // --- the URL: the dashboard's parameter names (date, depths, layers, palette, place) -----------
  (function parse() {
    var v = params.get("date");
    if (v !== null) {
      var i = C.dates.indexOf(v);
      if (i >= 0) state.day = i;
      else warnings.push("URL parameter date: " + shown(v) + " is not a date of this timeline (" + C.dates[0] + " to " + C.dates[N - 1] + "); showing " + C.defaults.date + ".");
    }
    v = params.get("depths");
    if (v !== null) {
      var asked = v.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
      state.depths = asked.map(function (s) { return String(Number(s)); }).filter(function (s) { return bandByDepth[s]; });
      if (state.depths.length < asked.length) warnings.push("URL parameter depths: only the documented proposals (" + Object.keys(bandByDepth).join(", ") + " mi) are drawn here; custom depths are the dashboard's.");
    }
    v = params.get("layers");
    if (v !== null) {
      var names = v.split(",").filter(Boolean);
      state.layers = Object.keys(T.mapLayers).filter(function (n) { return names.indexOf(n) >= 0; });
      if (state.layers.length < names.length) warnings.push("URL parameter layers: unknown names were ignored; expected any of " + Object.keys(T.mapLayers).join(", ") + ".");
    }
    v = params.get("palette");
    if (v !== null) {
      if (T.palettes[v]) state.palette = v;
      else warnings.push("URL parameter palette: " + shown(v) + " is unknown; expected one of " + Object.keys(T.palettes).join(", ") + ".");
    }
  })();

  function query(forEmbed) {
    var q = new URLSearchParams();
    q.set("date", C.dates[state.day]);
    q.set("depths", state.depths.join(","));
    q.set("layers", state.layers.join(","));
    if (state.palette !== C.defaults.palette) q.set("palette", state.palette);
    if (forEmbed) q.set("embed", "1");
    else if (embed) q.set("embed", "1");
    else if (params.get("place")) q.set("place", params.get("place"));
    return q.toString().replace(/%2C/g, ",");
  }

  function pageUrl() { return window.location.origin + window.location.pathname; }

  // --- the map: the dashboard's runtime, drawn with the frame the dashboard would send ----------
  if (embed) document.body.classList.add("embed");
  var map = L.map("map", { center: [34.9, 38.8], zoom: 7, minZoom: 5, maxZoom: 13, zoomSnap: 0.5 });
  L.control.scale().addTo(map);
  R.base(map, B, false);
  var mapEl = document.getElementById("map");

  function bandsFrame() {
    // Widest first, coloured and labelled by position, as mapdata._bands_frame does.
    var keys = state.depths.slice().sort(function (a, b) { return Number(b) - Number(a); });
    return keys.map(function (k, i) {
      var b = bandByDepth[k], out = { colour: T.colours[i % T.colours.length], at: b.at[i % 6] };
      if (b.ref !== undefined) out.ref = b.ref; else out.feature = b.feature;
      return out;
    });
  }

  function frame() {
    var F = { day: state.day, shown: state.layers.slice().sort(), colours: T.palettes[state.palette] };
    if (state.layers.indexOf("buffers") >= 0 && state.depths.length) F.bands = bandsFrame();
    var d = loaded[state.day];
    // A long timeline: the base data holds no events or changed ground; they come with the date's file.
    if (d && d.events && state.layers.indexOf("events") >= 0) F.events = d.events;
    if (d && d.changes && state.layers.indexOf("changes") >= 0) F.changes = d.changes;
    return F;
  }

  var dateClass = null;
  function drawMap() {
    R.draw(frame());
    var cls = "territory-date-" + C.dates[state.day];
    if (dateClass) mapEl.classList.remove(dateClass);
    mapEl.classList.add(cls);
    dateClass = cls;
  }

  // --- per-date files, fetched when a date is shown ----------------------------------------------
  var loaded = {}, pending = {};
  function dayFile(i) { return "data/days/" + C.dates[i] + "." + C.days[i] + ".json"; }
  function dayShown() {
    panels();
    // For a host page or a benchmark: the date's own data is on the map and in the panels.
    document.dispatchEvent(new CustomEvent("territory-day", { detail: { date: C.dates[state.day] } }));
  }

  function loadDay(i) {
    if (loaded[i]) return dayShown(); // drawn with it already (frame() reads it)
    if (pending[i]) return;
    pending[i] = fetch(dayFile(i)).then(function (r) {
      if (!r.ok) throw new Error(dayFile(i) + ": HTTP " + r.status);
      return r.json();
    }).then(function (d) {
      loaded[i] = d;
      delete pending[i];
      if (i === state.day) {
        if (d.events || d.changes) drawMap();
        dayShown();
      }
    }, function (e) {
      delete pending[i];
      if (window.console) console.error("territory:", e);
    });
  }

  // --- the controls ------------------------------------------------------------------------------
  var slider = document.getElementById("date"), label = document.getElementById("date-label");
  slider.max = String(N - 1);
  slider.value = String(state.day);
  slider.setAttribute("aria-valuetext", C.dates[state.day]);

  function setDay(i, fromSlider) {
    i = Math.max(0, Math.min(N - 1, i));
    state.day = i;
    if (!fromSlider) slider.value = String(i);
    slider.setAttribute("aria-valuetext", C.dates[i]);
    drawMap();
    label.textContent = human(i);
    document.getElementById("prev").disabled = i === 0;
    document.getElementById("next").disabled = i === N - 1;
    afterPaint(function () {
      update();
      loadDay(state.day);
    });
  }

  // The URL, the panels and the date's file wait until the redrawn map is on screen (a step's work
  // before the frame is the map's alone); steps faster than frames do this once, for the last date.
  var queued = null;
  function afterPaint(work) {
    if (queued === null) {
      window.requestAnimationFrame(function () {
        window.setTimeout(function () { var w = queued; queued = null; w(); }, 0);
      });
    }
    queued = work;
  }

  slider.addEventListener("input", function () { setDay(Number(slider.value), true); });
  document.getElementById("prev").addEventListener("click", function () { setDay(state.day - 1); });
  document.getElementById("next").addEventListener("click", function () { setDay(state.day + 1); });
  var timer = null, playButton = document.getElementById("play");
  function stop() { if (timer) window.clearInterval(timer); timer = null; playButton.textContent = "Play"; }
  playButton.addEventListener("click", function () {
    if (timer) return stop();
    if (state.day === N - 1) setDay(0);
    playButton.textContent = "Pause";
    timer = window.setInterval(function () {
      if (state.day >= N - 1) return stop();
      setDay(state.day + 1);
    }, 1000);
  });

  function checkbox(name, value, text, checked, onChange) {
    var input = el("input", null, { type: name === "palette" ? "radio" : "checkbox", name: name, value: value });
    input.checked = checked;
    input.addEventListener("change", onChange);
    var lab = el("label");
    lab.appendChild(input);
    lab.appendChild(document.createTextNode(" " + text));
    return lab;
  }

  function toggle(list, value, on) {
    var i = list.indexOf(value);
    if (on && i < 0) list.push(value);
    if (!on && i >= 0) list.splice(i, 1);
  }

  var bandsBox = document.getElementById("bands");
  T.bands.forEach(function (b) {
    bandsBox.appendChild(checkbox("band", b.depth, b.label, state.depths.indexOf(b.depth) >= 0, function (e) {
      toggle(state.depths, b.depth, e.target.checked);
      state.depths.sort(function (x, y) { return Number(x) - Number(y); });
      drawMap();
      update();
      panels();
    }));
  });
  var layersBox = document.getElementById("layers");
  Object.keys(T.mapLayers).forEach(function (n) {
    layersBox.appendChild(checkbox("layer", n, T.mapLayers[n], state.layers.indexOf(n) >= 0, function (e) {
      toggle(state.layers, n, e.target.checked);
      state.layers = Object.keys(T.mapLayers).filter(function (k) { return state.layers.indexOf(k) >= 0; });
      drawMap();
      update();
    }));
  });
  var paletteBox = document.getElementById("palette");
  Object.keys(T.palettes).forEach(function (p) {
    paletteBox.appendChild(checkbox("palette", p, p, p === state.palette, function () {
      state.palette = p;
      drawMap();
      update();
      panels();
    }));
  });

  // --- what follows the view: the URL, the embed code, the dashboard link -------------------------
  var embedCode = document.getElementById("embed-code");
  function update() {
    var q = query(false);
    if (window.location.search !== "?" + q) window.history.replaceState(null, "", "?" + q + window.location.hash);
    embedCode.value = '<iframe src="' + pageUrl() + "?" + query(true) + '" title="' +
      C.title.replace(/[&"<>]/g, "") + '" width="100%" height="560" style="border:0" loading="lazy"></iframe>';
    if (C.dashboard) {
      var a = document.getElementById("dashboard-link").querySelector("a");
      if (a) a.href = C.dashboard.replace(/[?#].*$/, "") + "?" + query(false).replace(/&?embed=1/, "");
    }
  }

  if (C.dashboard) {
    var p = document.getElementById("dashboard-link");
    p.hidden = false;
    p.appendChild(document.createTextNode("Custom depths, comparisons of any two dates and your own timeline: "));
    p.appendChild(el("a", "open this view in the dashboard ↗", { href: C.dashboard, target: "_blank", rel: "noopener noreferrer" }));
  }
  if (warnings.length) {
    var w = el("div", null, { "class": "warnings", role: "status" });
    warnings.forEach(function (t) { w.appendChild(el("p", t)); });
    document.body.insertBefore(w, document.getElementById("bar"));
  }

  // --- panels from the date's file --------------------------------------------------------------
  function num(x, digits) { return Number(x).toLocaleString("en-US", { maximumFractionDigits: digits || 0, minimumFractionDigits: digits || 0 }); }

  function swatch(code) {
    return el("span", null, { "class": "swatch", style: "background:" + T.palettes[state.palette][code] });
  }

  function panels() {
    var d = loaded[state.day];
    if (!d || embed) return;
    dayPanel(d);
    figures(d);
    downloads(d);
  }

  function dayPanel(d) {
    var aside = document.getElementById("day");
    aside.textContent = "";
    aside.appendChild(el("h2", human(state.day)));
    aside.appendChild(el("h3", "Area held"));
    var ul = el("ul", null, { "class": "areas" });
    T.controllers.forEach(function (c, k) {
      var a = d.stats.controllers[c];
      if (!a || !a.area_km2) return;
      var li = el("li");
      li.appendChild(swatch(k));
      li.appendChild(document.createTextNode(T.short[k] + ": " + num(a.area_km2, 1) + " km² (range " + num(a.area_low_km2, 0) + "–" + num(a.area_high_km2, 0) + "), " + num(a.places) + " places"));
      ul.appendChild(li);
    });
    aside.appendChild(ul);
    var E = B.events, list = [];
    if (E) {
      for (var i = 0; i < E.day.length; i++) if (E.day[i] === state.day) list.push([E.what[i], E.notes[i], dom.sourceNode(B.srcs[E.s[i]])]);
    } else if (d.events) {
      for (var j = 0; j < d.events.what.length; j++) list.push([d.events.what[j], d.events.notes[j], dom.sourceNode(d.events.s[j])]);
    }
    aside.appendChild(el("h3", list.length ? "The day's events" : "No events on this day"));
    if (d.events && d.events.total > list.length) aside.appendChild(el("p", "The latest " + list.length + " of " + d.events.total + " events."));
    var ol = el("ul", null, { "class": "events" });
    list.forEach(function (e) {
      var li = el("li");
      li.appendChild(el("b", e[0]));
      if (e[1]) li.appendChild(el("span", " " + e[1]));
      li.appendChild(el("br"));
      li.appendChild(document.createTextNode("Source: "));
      li.appendChild(e[2]);
      ol.appendChild(li);
    });
    aside.appendChild(ol);
  }

  function figures(d) {
    var box = document.getElementById("figures");
    box.textContent = "";
    box.appendChild(el("h2", "The chosen bands on " + human(state.day)));
    if (!state.depths.length) { box.appendChild(el("p", "Tick one or more proposals above to compare them.")); return; }
    var table = el("table", null, { "class": "figures" });
    var head = el("tr");
    ["Band", "Proposals", "Area (km²)", "Places", "Population*", "Key sites", "Held on " + human(state.day)].forEach(function (h) { head.appendChild(el("th", h)); });
    table.appendChild(head);
    d.stats.buffers.forEach(function (b) {
      if (state.depths.indexOf(String(b.depth_miles)) < 0) return;
      var tr = el("tr", null, { "data-depth": String(b.depth_miles) });
      tr.appendChild(el("td", String(b.depth_miles) + " mi"));
      tr.appendChild(el("td", (b.proposals || []).join("; ")));
      tr.appendChild(el("td", num(b.area_km2, 1), { "class": "n" }));
      tr.appendChild(el("td", num(b.places), { "class": "n" }));
      tr.appendChild(el("td", num(b.population), { "class": "n" }));
      tr.appendChild(el("td", (b.sites || []).join(", ")));
      var held = el("td"), total = 0;
      T.controllers.forEach(function (c) { total += b.held_km2[c] || 0; });
      T.controllers.forEach(function (c, k) {
        var km = b.held_km2[c] || 0;
        if (!km) return;
        var line = el("div", null, { "class": "held", "data-side": c });
        line.appendChild(swatch(k));
        line.appendChild(document.createTextNode(T.short[k] + ": " + num(km, 1) + " km² (" + num(100 * km / (total || 1), 1) + "%)"));
        held.appendChild(line);
      });
      tr.appendChild(held);
      table.appendChild(tr);
    });
    box.appendChild(table);
    box.appendChild(el("p", "*Population and places: GeoNames figures of the places within the depth. Areas in an equal-area projection; a side's share of a band is the share of its area.", { "class": "note" }));
  }

  function downloads(d) {
    var box = document.getElementById("downloads");
    box.textContent = "";
    box.appendChild(el("h2", "Downloads"));
    var dl = d.downloads;
    if (!dl) {
      box.appendChild(el("p", "Downloads were published for " + C.downloadDates.join(", ") + "; for this date run: python -m territory export all --date " + C.dates[state.day] + " -o FILE.zip"));
      return;
    }
    box.appendChild(el("p", "Every layer of " + C.dates[state.day] + " as RFC 7946 GeoJSON, the same bytes as python -m territory export LAYER --date " + C.dates[state.day] + " (bands 3, 6, 10, 22, 30 mi)."));
    var ul = el("ul", null, { "class": "downloads" });
    var all = el("li");
    all.appendChild(el("a", "All layers (zip)", { href: dl.zip.href, download: dl.zip.name, "data-layer": "all" }));
    ul.appendChild(all);
    dl.layers.forEach(function (x) {
      var li = el("li");
      if (x.href) {
        li.appendChild(el("a", x.layer, { href: x.href, download: x.name, "data-layer": x.layer }));
      } else {
        var b = el("button", x.layer, { type: "button", "data-layer": x.layer, title: "taken out of the date's zip in your browser" });
        b.addEventListener("click", function () { fromZip(dl.zip.href, x.member, x.name, b); });
        li.appendChild(b);
      }
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  // One member of a zip, inflated in the browser (the date's zip holds every layer, byte for byte
  // the export's; storing each layer of each date again would triple the site).
  function fromZip(href, member, name, button) {
    button.disabled = true;
    fetch(href).then(function (r) { return r.arrayBuffer(); }).then(function (buf) {
      var v = new DataView(buf), e = buf.byteLength - 22;
      while (e >= 0 && v.getUint32(e, true) !== 0x06054b50) e--;
      if (e < 0) throw new Error("not a zip");
      var count = v.getUint16(e + 10, true), p = v.getUint32(e + 16, true), dec = new TextDecoder();
      for (var k = 0; k < count; k++) {
        var method = v.getUint16(p + 10, true), size = v.getUint32(p + 20, true);
        var nlen = v.getUint16(p + 28, true), xlen = v.getUint16(p + 30, true), clen = v.getUint16(p + 32, true);
        var local = v.getUint32(p + 42, true);
        if (dec.decode(new Uint8Array(buf, p + 46, nlen)) === member) {
          var start = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
          var raw = new Blob([new Uint8Array(buf, start, size)]);
          if (method === 0) return raw;
          return new Response(raw.stream().pipeThrough(new DecompressionStream("deflate-raw"))).blob();
        }
        p += 46 + nlen + xlen + clen;
      }
      throw new Error(member + " is not in " + href);
    }).then(function (blob) {
      var a = el("a", null, { href: URL.createObjectURL(new Blob([blob], { type: "application/geo+json" })), download: name });
      document.body.appendChild(a);
      a.click();
      a.remove();
    }).catch(function (e) {
      if (window.console) console.error("territory:", e);
      // An older browser without DecompressionStream: the layer is in the zip, under the same name.
      if (!button.nextSibling) button.parentNode.appendChild(el("span", " (not unpacked here: it is " + member + " in the zip)"));
    }).then(function () { button.disabled = false; });
  }

  // --- a place's history (?place=ID or a name), opened from its popup -----------------------------
  function showHistory(q) {
    var box = document.getElementById("history");
    fetch(C.history).then(function (r) { return r.json(); }).then(function (hist) {
      var H = hist.places, names = hist.names, has = Object.prototype.hasOwnProperty, id = null;
      // An id, a name or an alternative name, case and accents ignored, or the first words of one
      // name (as `history PLACE` and the dashboard's ?place= take them).
      var key = String(q).normalize("NFKD").replace(/[\u0300-\u036f]/g, "").replace(/[‘’ʼʻ`]/g, "")
        .toLowerCase().replace(/-/g, " ").split(/\s+/).filter(Boolean).join(" ");
      if (has.call(H, q)) id = q;
      else if (has.call(names, key)) id = names[key];
      else {
        var starts = {};
        for (var n in names) if (has.call(names, n) && n.indexOf(key + " ") === 0) starts[names[n]] = true;
        if (Object.keys(starts).length === 1) id = Object.keys(starts)[0];
      }
      var h = id === null ? null : H[id];
      box.hidden = false;
      box.textContent = "";
      if (!h) { box.appendChild(el("p", "URL parameter place: " + shown(q) + " is not a place of this map; no history shown.")); return; }
      box.appendChild(el("h2", "History of " + h.name));
      var table = el("table", null, { "class": "spells" }), head = el("tr");
      ["From", "To (exclusive)", "Held by", "How", "Source", "Note"].forEach(function (t) { head.appendChild(el("th", t)); });
      table.appendChild(head);
      h.spells.forEach(function (s) {
        var tr = el("tr"), k = T.controllers.indexOf(s.controller), who = el("td");
        if (k >= 0) who.appendChild(swatch(k));
        who.appendChild(document.createTextNode(k >= 0 ? T.short[k] : s.controller));
        [s.valid_from, s.valid_to].forEach(function (t) { tr.appendChild(el("td", t)); });
        tr.appendChild(who);
        tr.appendChild(el("td", s.kind));
        var src = el("td");
        src.appendChild(dom.sourceNode({ t: s.source_title || s.source, u: s.source_url }));
        tr.appendChild(src);
        tr.appendChild(el("td", s.note));
        table.appendChild(tr);
      });
      box.appendChild(table);
      (h.disputes || []).forEach(function (x) {
        var p = el("p");
        p.appendChild(el("b", "Disputed " + x.valid_from + " → " + x.valid_to + ": "));
        p.appendChild(document.createTextNode("another source has " + x.controller + ". " + x.note + " "));
        p.appendChild(dom.sourceNode({ t: x.source_title || x.source, u: x.source_url }));
        box.appendChild(p);
      });
      box.scrollIntoView();
    });
  }

  setDay(state.day);
  if (params.get("place")) showHistory(params.get("place"));
  window.territorySite = { setDay: setDay, state: state };
})();
