/* Map styling and symbols for griddispatch (dash-leaflet functional props).
 * Each function receives the leaflet arguments and, last, the component context whose
 * `hideout` carries the colours. User text never goes in as HTML: tooltips are DOM text. */
window.griddispatch = (function () {
  function ctxHideout(ctx) { return (ctx && ctx.hideout) || {}; }

  function textNode(lines) {
    var div = document.createElement("div");
    lines.forEach(function (line, i) {
      if (line === null || line === undefined || line === "") { return; }
      var el = document.createElement(i === 0 ? "b" : "div");
      el.textContent = String(line);
      div.appendChild(el);
    });
    return div;
  }

  // Live countdowns: every element with data-due shows the time left (or +overdue).
  function clock(seconds) {
    var sign = seconds < 0 ? "+" : "", s = Math.floor(Math.abs(seconds));
    if (s >= 48 * 3600) { return sign + Math.floor(s / 86400) + "d " + Math.floor((s % 86400) / 3600) + "h"; }
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var mm = (h && m < 10 ? "0" : "") + m, ss = (sec < 10 ? "0" : "") + sec;
    return sign + (h ? h + ":" : "") + mm + ":" + ss;
  }
  var pulse = false, still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  function tick() {
    var now = Date.now();
    pulse = !pulse && !still;  // overdue cases blink once a second (see style.css)
    document.querySelectorAll("path.gd-overdue, .gd-qitem.overdue").forEach(function (el) {
      el.classList.toggle("gd-on", pulse);
    });
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var left = (Date.parse(el.getAttribute("data-due")) - now) / 1000;
      if (isNaN(left)) { return; }
      el.textContent = clock(left);
      el.classList.toggle("late", left < 0);
    });
  }
  setInterval(tick, 1000);

  // Dispatch desk keys: N new case, 1-5 check a recommended unit, D dispatch the checked,
  // E escalate, R resolve (or go to the note), Esc clear. Not while typing in a field.
  function clickFirst(selector) {
    var el = document.querySelector(selector);
    if (el) { el.click(); return true; }
    return false;
  }
  // A queue card selects its case (one listener, no Dash callback per card).
  document.addEventListener("click", function (ev) {
    var card = ev.target && ev.target.closest && ev.target.closest(".gd-qitem[data-id]");
    if (card && window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props("desk-sel", { data: Number(card.getAttribute("data-id")) });
      window.dash_clientside.set_props("desk-pick", { data: null });
    }
  });
  document.addEventListener("keydown", function (ev) {
    if (!document.getElementById("desk-side")) { return; }
    var t = ev.target, tag = (t && t.tagName) || "";
    if (ev.key === "Escape") {
      if (tag === "INPUT" || tag === "TEXTAREA") { t.blur(); }
      clickFirst("#key-clear"); return;
    }
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (t && t.isContentEditable)) { return; }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var k = ev.key.toLowerCase(), done = false;
    if (k === "n") { done = clickFirst("#key-new"); }
    else if (k >= "1" && k <= "5") {
      var boxes = document.querySelectorAll(".gd-rec .gd-rec-check input[type=checkbox]");
      var box = boxes[Number(k) - 1];
      if (box) { box.click(); done = true; }
    }
    else if (k === "d" && ev.shiftKey) { done = clickFirst("#case-dispatch-plan"); }
    else if (k === "d") { done = clickFirst("#case-dispatch-checked"); }
    else if (k === "c") { done = clickFirst(".gd-act-claim"); }
    else if (k === "e") { done = clickFirst(".gd-act-escalate"); }
    else if (k === "r") {
      var note = document.querySelector(".gd-note");
      if (note && !note.value.trim()) { note.focus(); done = true; }
      else { done = clickFirst(".gd-act-resolve"); }
    }
    if (done) { ev.preventDefault(); }
  });


  // The desk's queue: cards drawn here from the rows the server sends (queuecards.queue_rows) and
  // kept by key, so an unchanged card keeps its element. They are not Dash components: 1,600
  // of them made every step of every callback cost the renderer ~14 ms. Text only, no HTML.
  var queueRows = null, queueCards = {};
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function queueCard(r) {
    var card = el("div", r.cls);
    card.setAttribute("data-id", String(r.id));
    card.style.borderLeftColor = r.colour;
    var top = el("div", "gd-row-between"), due = el("span", "gd-countdown", "–");
    top.appendChild(el("b", null, r.label));
    if (r.due) {
      due.setAttribute("data-due", r.due);
      due.textContent = clock((Date.parse(r.due) - Date.now()) / 1000);
    }
    top.appendChild(due);
    if (r.stage) { top.insertBefore(el("span", "gd-stage", r.stage), due); }
    var meta = el("div", "gd-qmeta");
    meta.appendChild(el("span", null, r.number));
    meta.appendChild(el("span", null, r.status));
    meta.appendChild(el("span", null, r.grid));
    if (r.esc) { meta.appendChild(el("span", "gd-esc", r.esc)); }
    if (r.flag) { meta.appendChild(el("span", "gd-badge flag", r.flag)); }
    if (r.claimed) { meta.appendChild(el("span", "gd-claimed", r.claimed)); }
    card.appendChild(top);
    card.appendChild(meta);
    card.setAttribute("data-band", r.band || "");
    return card;
  }
  var queueBands = null, bandHeads = {};
  function queueRender(rows, bands) {
    if (!document.getElementById("queue-list") || !Array.isArray(rows)
        || (rows === queueRows && bands === queueBands)) { return; }
    var fresh = rows !== queueRows;
    queueRows = rows; queueBands = bands;
    if (fresh) {  // the server's list: a live card it now holds (or still does not) goes
      var listed = new Set(rows.map(function (r) { return r.id; })), now = Date.now();
      Object.keys(liveCards).forEach(function (id) {
        if (listed.has(Number(id)) || now - liveCards[id].at > LIVE_CARD_MS) { delete liveCards[id]; }
      });
    }
    queueDraw(fresh);
  }

  // A new case's card drawn from the live push, in the "new" band, before the queue is read
  // again (under load that read can take seconds: Dash drops an answer asked again before it
  // arrives). It passes the desk's filters (an area filter leaves it to the server) and goes
  // when the server's list holds it, when the case is no longer new, or after LIVE_CARD_MS.
  var liveCards = {}, LIVE_CARD_MS = 20000, queueFilters = {};
  var PRIORITY_RANK = { red: 0, yellow: 1, blue: 2 };
  function queueFilter(st, pr, ca, area) {
    queueFilters = { st: st || [], pr: pr || [], ca: ca || [], area: area || null };
    return window.dash_clientside.no_update;
  }
  function queueAdmits(p) {
    var f = queueFilters;
    return !f.area && (!f.st || !f.st.length || f.st.indexOf(p.status) >= 0)
      && (!f.pr || !f.pr.length || f.pr.indexOf(p.priority) >= 0)
      && (!f.ca || !f.ca.length || f.ca.indexOf(p.category) >= 0);
  }
  // ``whole``: ``feats`` are every open case (a reconnect): a live card not among them goes.
  function queueLive(feats, gone, whole) {
    var box = document.getElementById("queue-list");
    if (!box || queueRows === null) { return; }  // the first draw is the server's
    var words = JSON.parse(box.getAttribute("data-live") || "{}"), changed = false;
    var listed = new Set(queueRows.map(function (r) { return r.id; }));
    if (whole) {
      var open = new Set(feats.map(function (f) { return f.id; }));
      Object.keys(liveCards).forEach(function (id) {
        if (!open.has(Number(id))) { delete liveCards[id]; changed = true; }
      });
    }
    feats.forEach(function (f) {
      var p = f.properties || {};
      if (!p.new || !queueAdmits(p)) {
        if (liveCards[f.id]) { delete liveCards[f.id]; changed = true; }
        return;
      }
      if (listed.has(f.id) || liveCards[f.id]) { return; }
      liveCards[f.id] = { at: Date.now(), row: {
        k: "live-" + f.id, id: f.id, cls: "gd-qitem", colour: (words.colours || {})[p.priority],
        label: (words.lang === "en" ? p.category_en : p.category_zh) || p.category,
        due: p.respond_due || p.close_due, number: p.number, status: words.status,
        grid: p.grid_code || "", band: "new", p: p.priority,
        stage: (words.stage || {})[p.respond_due ? "respond" : "close"] } };
      changed = true;
    });
    gone.forEach(function (id) { if (liveCards[id]) { delete liveCards[id]; changed = true; } });
    if (changed) { queueDraw(true); }
  }
  // The server's rows with the live cards among its new ones (by priority, then newest last).
  function queueMerged() {
    var live = Object.keys(liveCards).map(function (id) { return liveCards[id].row; });
    if (!live.length) { return { rows: queueRows, extra: 0 }; }
    live.sort(function (a, b) { return a.id - b.id; });
    var fresh = queueRows.filter(function (r) { return r.band === "new"; }).concat(live);
    fresh.sort(function (a, b) { return (PRIORITY_RANK[a.p] || 0) - (PRIORITY_RANK[b.p] || 0); });  // stable
    return { rows: fresh.concat(queueRows.filter(function (r) { return r.band !== "new"; })), extra: live.length };
  }
  function queueDraw(news) {
    var box = document.getElementById("queue-list");
    if (!box || queueRows === null) { return; }
    var merged = queueMerged(), rows = merged.rows, bands = queueBands;
    if (news) { newCaseAlert(rows); }
    if (!rows.length) {
      box.replaceChildren(el("div", "gd-muted", box.getAttribute("data-empty") || ""));
      queueCards = {};
      return;
    }
    var next = {}, nodes = [], band = null;
    rows.forEach(function (r) {
      if (r.band !== band) {  // a heading per band, with its count
        band = r.band;
        var head = bandHeads[band] || el("div", "gd-qband gd-qband-" + band);
        head.textContent = String((bands && bands[band]) || band).replace(/\((\d+)\)$/, function (all, n) {
          return "(" + (Number(n) + (band === "new" ? merged.extra : 0)) + ")";
        });
        bandHeads[band] = head;
        nodes.push(head);
      }
      var card = queueCards[r.k] || queueCard(r);
      next[r.k] = card;
      nodes.push(card);
    });
    queueCards = next;
    box.replaceChildren.apply(box, nodes);
  }

  // A new case nobody has claimed: a sound (unless muted on this desk) and a flashing title
  // until the desk is looked at and no new case is left unseen.
  var newSeen = null, flashing = null, baseTitle = document.title, audio = null;
  var ALERT_TITLE = { "zh-CN": "【新警情】", "en": "[NEW CASE] " };
  function muted() { try { return localStorage.getItem("gd-mute") === "1"; } catch (e) { return false; } }
  function beep() {
    if (muted()) { return; }
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      [0, 0.35].forEach(function (at) {
        var o = audio.createOscillator(), g = audio.createGain();
        o.frequency.value = 880; o.connect(g); g.connect(audio.destination);
        g.gain.setValueAtTime(0.2, audio.currentTime + at);
        g.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + at + 0.3);
        o.start(audio.currentTime + at); o.stop(audio.currentTime + at + 0.3);
      });
    } catch (e) { /* no audio device: the title still flashes */ }
  }
  function flash(on) {
    var box = document.getElementById("queue-list");
    if (on && !flashing) {
      baseTitle = document.title.replace(/^(【新警情】|\[NEW CASE\] )/, "");
      var sw = document.getElementById("lang-switch");  // it links to the other language
      var lang = sw && sw.getAttribute("href").indexOf("lang=en") >= 0 ? "zh-CN" : "en";
      var odd = false;
      flashing = setInterval(function () {
        odd = !odd;
        document.title = (odd ? ALERT_TITLE[lang] : "") + baseTitle;
      }, 800);
      document.body.classList.add("gd-alerting");
    } else if (!on && flashing) {
      clearInterval(flashing); flashing = null;
      document.title = baseTitle;
      document.body.classList.remove("gd-alerting");
    }
    if (box) { box.setAttribute("data-alert", on ? "1" : "0"); }
  }
  function newCaseAlert(rows) {
    var ids = rows.filter(function (r) { return r.band === "new"; }).map(function (r) { return r.id; });
    if (newSeen === null) { newSeen = new Set(ids); return; }  // the first draw is not news
    var arrived = ids.filter(function (i) { return !newSeen.has(i); });
    ids.forEach(function (i) { newSeen.add(i); });
    if (arrived.length) {
      beep(); flash(true);
      window.griddispatchAlerts = (window.griddispatchAlerts || 0) + arrived.length;
    }
    if (!ids.length) { flash(false); }
  }
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { setTimeout(function () { flash(false); }, 3000); } });
  document.addEventListener("click", function (ev) {
    var b = ev.target && ev.target.closest && ev.target.closest("#queue-mute");
    if (b) {
      try { localStorage.setItem("gd-mute", muted() ? "0" : "1"); } catch (e) { /* private mode */ }
      b.classList.toggle("muted", muted());
      return;
    }
    if (ev.target && ev.target.closest && ev.target.closest(".gd-qitem, .gd-act-claim")) { flash(false); }
  });
  function muteIcon() { var b = document.getElementById("queue-mute"); if (b) { b.classList.toggle("muted", muted()); } }
  document.addEventListener("DOMContentLoaded", muteIcon);
  setTimeout(muteIcon, 1500);

  // Typed notes by case (the card gives them back when it is drawn again).
  function keepDrafts(notes, reports, sel, drafts) {
    if (sel === null || sel === undefined) { return window.dash_clientside.no_update; }
    var out = Object.assign({}, drafts || {}), mine = Object.assign({}, out[String(sel)] || {});
    if (notes && notes.length && typeof notes[0] === "string") { mine.note = notes[0]; }
    if (reports && reports.length && typeof reports[0] === "string") { mine.report = reports[0]; }
    out[String(sel)] = mine;
    return out;
  }
  // The selected case in the address bar and in the language switch's link.
  function caseInUrl(sel) {
    var NU = window.dash_clientside.no_update;
    try {
      var url = new URL(window.location.href);
      if (sel === null || sel === undefined) { url.searchParams.delete("case"); }
      else { url.searchParams.set("case", String(sel)); }
      window.history.replaceState(null, "", url.pathname + url.search);
      var sw = document.getElementById("lang-switch");
      if (sw) {
        var to = new URL(sw.getAttribute("href"), window.location.href);
        if (sel === null || sel === undefined) { to.searchParams.delete("case"); }
        else { to.searchParams.set("case", String(sel)); }
        sw.setAttribute("href", to.pathname + to.search);
      }
    } catch (e) { /* an old browser: the selection is just not in the address */ }
    return NU;
  }

  // Live channel: apply the server's tick messages (layers/live.py) to the units and
  // incidents layers, in order, each once, as a Dash Patch. A full message replaces both.
  var liveDone = new WeakSet(), liveSeq = -1, liveCases = 0;
  var SCALE = 100000, NU = null;
  function indexOf(fc) {
    var idx = {}, f = (fc && fc.features) || [];
    for (var i = 0; i < f.length; i++) { idx[f[i].id] = i; }
    return idx;
  }
  // The "reconnecting" banner: shown while the database is away (the live channel says so,
  // or a request was answered 503), hidden when it is back.
  function dbBanner(down) {
    var b = document.getElementById("db-banner");
    if (b) { b.style.display = down ? "block" : "none"; }
    var n = document.getElementById("db-restarted");  // in its place while it is down
    if (n && down) { n.style.display = "none"; }
  }
  // The note that the database was restarted by the console's supervisor (the last ten
  // minutes; the live channel says when, null when it is no longer recent).
  function dbRestarted(r) {
    var b = document.getElementById("db-restarted");
    if (!b) { return; }
    if (!r) { b.style.display = "none"; return; }
    b.textContent = (b.getAttribute("data-text") || "").replace("{at}", r.at);
    b.style.display = "block";
    b.onclick = function () { b.style.display = "none"; };  // read: click it away
  }

  // The selected case's card is drawn again for a live change only when the change is newer
  // than the version the card shows. ``seen`` ({id, v, rev}) is what show_case last drew, for
  // which selection and which action (desk-rev). While the card has not caught up with the
  // selection or the last action, a change is kept and decided when it has: the echo of the
  // desk's own action, arriving before the card's answer, costs no second request.
  var caseLater = 0, caseGone = false, caseKeptFor = null;
  // News for a card showing ``seen``: a version newer than it, or the case leaving the map
  // (no version: closed) while the card shows it open.
  function caseNews(seen, later, gone) {
    return (gone && !seen.closed) || later > seen.v + 1e-3;
  }
  function caseLive(live, seen, sel, rev) {
    var NU = window.dash_clientside.no_update;
    if (!live || sel === null || sel === undefined) { return NU; }
    // a whole state (a reconnect, or a desk that fell behind) names every open case: one
    // missing from it has left the map
    if (!live.full && (live.ids || []).indexOf(sel) < 0) { return NU; }
    var v = (live.v || {})[sel], gone = typeof v !== "number";
    if (gone) { v = 0; }
    if (!(seen && seen.id === sel && seen.rev === rev)) {
      if (caseKeptFor !== sel) { caseLater = 0; caseGone = false; caseKeptFor = sel; }
      caseLater = Math.max(caseLater, v);
      caseGone = caseGone || gone;
      return NU;
    }
    return caseNews(seen, v, gone) ? live.n : NU;
  }
  // The card has been drawn: a change kept meanwhile that is newer than it draws it again
  // (set_props: the card's own output cannot be its input in Dash's graph). The echo of the
  // desk's own close, kept while the card caught up, is no news to a card that shows it closed.
  function caseCaught(seen, sel, rev) {
    if (!(caseLater || caseGone) || !(seen && seen.id === sel && seen.rev === rev)) { return; }
    var later = caseLater, gone = caseGone, kept = caseKeptFor;
    caseLater = 0;
    caseGone = false;
    if (kept !== sel) { return; }  // kept for a case no longer selected
    if (caseNews(seen, later, gone)) { window.dash_clientside.set_props("case-live", { data: Date.now() }); }
  }

  // The whole state's units come in columns (layers/live.py, encode_units).
  function unitFeatures(c) {
    var d = c.mv.d, out = new Array(c.call_sign.length), id = 0;
    for (var i = 0, k = 0; i < out.length; i++, k += 4) {
      id += d[k];
      out[i] = { type: "Feature", id: id,
                 geometry: { type: "Point", coordinates: [(c.mv.x0 + d[k + 1]) / SCALE, (c.mv.y0 + d[k + 2]) / SCALE] },
                 properties: { id: id, call_sign: c.call_sign[i], type: c.types[c.type[i]],
                               agency: c.agencies[c.agency[i]], status: c.statuses[c.status[i]],
                               fix: c.mv.t0 + d[k + 3] } };
    }
    return out;
  }
  function liveApply(msgs, units, incidents) {
    NU = window.dash_clientside.no_update;
    if (!msgs || !msgs.length) { return [NU, NU, NU]; }
    var uf = null, inc = null, full = null, touched = false, ids = [], vers = {}, unitNews = false;
    var cards = [], left = [];  // for the queue's live cards (queueLive)
    msgs.forEach(function (m) {
      if (liveDone.has(m)) { return; }
      liveDone.add(m);
      if (m.db) { dbBanner(m.db === "down"); }
      if (m.restarted !== undefined) { dbRestarted(m.restarted); }
      if (m.full) {
        full = m; liveSeq = m.seq; uf = unitFeatures(m.units);
        inc = m.incidents.features.slice(); touched = true;
        ids = []; vers = {};  // every case, with its version: the card decides as for a tick
        inc.forEach(function (f) { ids.push(f.id); vers[f.id] = f.properties.v; });
        cards = inc.slice(); left = [];  // and the queue's live cards, for the whole city
        return;
      }
      if (liveSeq >= 0 && m.seq > liveSeq + 1 && !full) { refetch(); }
      window.griddispatch.tickBytes.push(JSON.stringify(m).length);  // for live_tick_kb
      liveSeq = m.seq;
      // Only a layer the message touches is copied and sent on: a new case must not make
      // the renderer redraw every unit (that alone cost a city desk ~1 s per case).
      var hasU = m.mv || (m.st && m.st.length) || (m.ua && m.ua.length) || (m.ur && m.ur.length);
      if (hasU) {
        if (uf === null) { uf = (unitsPending || (units && units.features) || []).slice(); }
        var ui = indexOf({ features: uf });
        if (m.mv) {
          var d = m.mv.d, id = 0;
          for (var k = 0; k < d.length; k += 4) {
            id += d[k];
            var j = ui[id];
            if (j === undefined) { continue; }
            var f = uf[j];
            uf[j] = { type: "Feature", id: id, properties: Object.assign({}, f.properties, { fix: m.mv.t0 + d[k + 3] }),
                      geometry: { type: "Point", coordinates: [(m.mv.x0 + d[k + 1]) / SCALE, (m.mv.y0 + d[k + 2]) / SCALE] } };
          }
        }
        (m.st || []).forEach(function (s) {
          var j = ui[s[0]];
          if (j !== undefined) {
            uf[j] = Object.assign({}, uf[j], { properties: Object.assign({}, uf[j].properties, { status: s[1] }) });
          }
          unitNews = true;
        });
        (m.ua || []).forEach(function (f) { if (ui[f.id] === undefined) { uf.push(f); } else { uf[ui[f.id]] = f; } unitNews = true; });
        if (m.ur && m.ur.length) { var gone = new Set(m.ur); uf = uf.filter(function (f) { return !gone.has(f.id); }); unitNews = true; }
      }
      if ((m.iu && m.iu.length) || (m.ir && m.ir.length)) {
        if (inc === null) { inc = ((incidents && incidents.features) || []).slice(); }
        var ii = indexOf({ features: inc });
        (m.iu || []).forEach(function (f) {
          if (ii[f.id] === undefined) { ii[f.id] = inc.length; inc.push(f); } else { inc[ii[f.id]] = f; }
          ids.push(f.id); vers[f.id] = f.properties.v; touched = true; cards.push(f);
        });
        if (m.ir && m.ir.length) {
          var closed = new Set(m.ir);
          inc = inc.filter(function (f) { return !closed.has(f.id); });
          m.ir.forEach(function (i) { ids.push(i); left.push(i); }); touched = true;
        }
      }
    });
    var out = [NU, NU, NU];
    if (uf !== null && !full) {
      // Units that only moved are drawn at most every UNITS_EVERY_MS, and never in the same
      // frame as a case change: the renderer redraws the whole unit layer for any change
      // (hundreds of markers), which would hold up the new case's card on a busy desk.
      unitsPending = uf;
      if (unitNews || inc === null && Date.now() - unitsDrawn >= UNITS_EVERY_MS) {
        out[0] = unitsPatch();
      } else if (!unitsTimer) {
        unitsTimer = setTimeout(unitsFlush, Math.max(200, UNITS_EVERY_MS - (Date.now() - unitsDrawn)));
      }
    }
    if (inc !== null) { out[1] = new window.dash_clientside.Patch().assign(["features"], inc).build(); }
    if (full) {
      unitsPending = uf;
      out[0] = { type: "FeatureCollection", features: unitsTaken() };
      out[1] = { type: "FeatureCollection", features: inc };
    }
    // ``live-cases`` changes for case changes only: it sets off the queue, the counters and
    // the card on the server, and a unit's status alone (it comes every few seconds in a
    // busy city) would keep them asking; Dash drops an answer asked again before it
    // arrived, so a new case could wait seconds for a quiet moment. The board and the
    // counters follow the units on their own ticks.
    // ``v``: each changed case's version (its changed_at), so a desk that has just drawn that
    // version after its own action does not draw it again when the change comes back live.
    if (touched) { liveCases += 1; out[2] = { n: liveCases, ids: ids, full: !!full, v: vers }; }
    if (cards.length || left.length) { queueLive(cards, left, !!full); }
    window.griddispatch.liveSeq = liveSeq;
    if (uf !== null) { window.griddispatch.liveUnits = uf; }
    if (inc !== null) { window.griddispatch.liveIncidents = inc; }
    return out;
  }
  var UNITS_EVERY_MS = 2000, unitsPending = null, unitsTimer = 0, unitsDrawn = 0;
  function unitsTaken() {
    var uf = unitsPending;
    unitsPending = null; unitsDrawn = Date.now();
    if (unitsTimer) { clearTimeout(unitsTimer); unitsTimer = 0; }
    return uf;
  }
  function unitsPatch() { return new window.dash_clientside.Patch().assign(["features"], unitsTaken()).build(); }
  function unitsFlush() {
    unitsTimer = 0;
    if (unitsPending === null) { return; }
    window.dash_clientside.set_props("layer-units", { data: { type: "FeatureCollection", features: unitsTaken() } });
  }
  // A page that fell too far behind reads both layers whole (rare: the store keeps 8 ticks).
  function refetch() {
    ["units", "incidents"].forEach(function (name) {
      fetch("/api/layers/" + name + ".geojson").then(function (r) { return r.json(); })
        .then(function (fc) { window.dash_clientside.set_props("layer-" + name, { data: fc }); });
    });
  }

  // After-action replay: the map at second ``t`` of a loaded window (see geo/replay.py).
  function lastAt(times, t) {  // index of the last time <= t, or -1
    var lo = 0, hi = times.length - 1, k = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (times[mid] <= t) { k = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return k;
  }
  function clockText(startIso, t, tz) {
    var d = new Date(Date.parse(startIso) + t * 1000);
    // zero-padded (2026/12/01 07:28:00), so the clock keeps its width as the days go by;
    // in the console's zone (GD_TZ, sent with the replay's data)
    return d.toLocaleString("zh-CN", {
      timeZone: tz || "Asia/Shanghai", hour12: false, year: "numeric", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
  }
  function replayFrame(t, data, lang) {
    var empty = { type: "FeatureCollection", features: [] };
    if (!data || !data.units) { return [empty, empty, "", ""]; }
    t = Number(t) || 0;
    var units = [], cases = [], events = [];
    data.units.forEach(function (u) {
      var i = lastAt(u.t, t);
      if (i < 0) { return; }
      var x = u.x[i], y = u.y[i];
      if (i + 1 < u.t.length && u.t[i + 1] - u.t[i] <= 3 * data.step) {  // glide between fixes
        var f = (t - u.t[i]) / (u.t[i + 1] - u.t[i]);
        x += f * (u.x[i + 1] - x); y += f * (u.y[i + 1] - y);
      }
      var k = lastAt(u.st.map(function (p) { return p[0]; }), t);
      units.push({ type: "Feature", id: u.id, geometry: { type: "Point", coordinates: [x, y] },
                   properties: { id: u.id, call_sign: u.cs, type: u.type,
                                 status: u.st[Math.max(0, k)][1] } });
    });
    data.incidents.forEach(function (c) {
      var steps = c.t.map(function (v) { return v === null ? Infinity : v; });
      var k = -1;
      steps.forEach(function (v, j) { if (v <= t && (k < 0 || v >= steps[k])) { k = j; } });
      if (k < 0) { return; }
      steps.forEach(function (v, j) { if (v >= 0 && v <= t) { events.push([v, c, data.steps[j]]); } });
      if (data.steps[k] === "closed") { return; }
      cases.push({ type: "Feature", id: c.id,
                   geometry: { type: "Point", coordinates: [c.x, c.y] },
                   properties: { id: c.id, number: c.number, priority: c.priority,
                                 status: data.steps[k], category_zh: c.category_zh,
                                 category_en: c.category_en,
                                 reported: clockText(data.start, c.t[0] || 0, data.tz) } });
    });
    events.sort(function (a, b) { return b[0] - a[0]; });
    var lines = events.slice(0, 10).map(function (e) {
      return clockText(data.start, e[0], data.tz).slice(-8) + "  " + e[1].number + "  " +
             (lang === "en" ? e[1].category_en : e[1].category_zh) + "  " + e[2];
    });
    return [{ type: "FeatureCollection", features: units },
            { type: "FeatureCollection", features: cases },
            clockText(data.start, t, data.tz), lines.join("\n")];
  }

  // The layers asked for by view (a province has 30,000 grids): what meets the map's view,
  // padded and snapped to the zoom's tiles (small pans ask for nothing new), simplified
  // for the zoom on the server. A layer with more in view than a map can draw comes empty
  // and the map says to zoom in. ``rev``: a saved change (planning) asks again.
  var VIEW_LAYERS = ["water", "roads", "grids", "communities"], viewAsked = null, viewSeq = 0;
  function tileBox(b, z) {
    var n = Math.pow(2, z), rad = Math.PI / 180;
    function tx(lon) { return Math.floor((lon + 180) / 360 * n); }
    function ty(lat) { var r = lat * rad; return Math.floor((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2 * n); }
    function lon(x) { return x / n * 360 - 180; }
    function lat(y) { var m = Math.PI - 2 * Math.PI * y / n; return Math.atan(Math.sinh(m)) / rad; }
    var x0 = tx(b[0][1]), x1 = tx(b[1][1]) + 1, y0 = ty(b[1][0]), y1 = ty(b[0][0]) + 1;
    var r5 = function (v) { return Math.round(v * 1e5) / 1e5; };
    return [r5(Math.max(-180, lon(x0))), r5(Math.max(-85, lat(y1))), r5(Math.min(180, lon(x1))), r5(Math.min(85, lat(y0)))];
  }
  function within(a, b) { return a[0] >= b[0] && a[1] >= b[1] && a[2] <= b[2] && a[3] <= b[3]; }
  // The note shows while the grids in view are too many and the grid layer is ticked.
  var gridsCapped = false;
  function gridsTicked(src) {
    var name = src.getAttribute("data-layer"), ticked = false;
    document.querySelectorAll(".leaflet-control-layers-overlays label").forEach(function (l) {
      if (l.textContent.trim() === name) { ticked = !!(l.querySelector("input") || {}).checked; }
    });
    return ticked || !document.querySelector(".leaflet-control-layers-overlays");  // the wall: always on
  }
  function mapHint(capped) {
    var map = document.getElementById("map"), src = document.getElementById("map-hint");
    if (capped !== undefined) { gridsCapped = capped; }
    if (!map || !src) { return; }
    var h = map.querySelector(".gd-map-hint");
    if (!h) { h = el("div", "gd-map-hint", src.getAttribute("data-text") || ""); map.appendChild(h); }
    h.style.display = gridsCapped && gridsTicked(src) ? "block" : "none";
  }
  document.addEventListener("change", function (e) {  // a layer ticked or unticked
    if (e.target && e.target.closest && e.target.closest(".leaflet-control-layers")) { mapHint(); }
  });
  function viewLayers(bounds, zoom, rev) {
    var NU = window.dash_clientside.no_update;
    if (!bounds || zoom === null || zoom === undefined) { return NU; }
    var z = Math.max(0, Math.floor(zoom)), box = tileBox(bounds, z);
    var a = viewAsked, map = document.getElementById("map");
    // ask again only for another map, more area, another zoom below 15, or a saved change
    if (a && a.map === map && a.rev === rev && within(box, a.box) &&
        (a.z === z || (a.z >= 15 && z >= 15))) { return NU; }
    var seq = ++viewSeq, asked = { box: box, z: z, rev: rev, map: map };
    viewAsked = asked;
    var q = "?bbox=" + box.join(",") + "&z=" + z + (rev ? "&v=" + encodeURIComponent(rev) : "");
    Promise.all(VIEW_LAYERS.map(function (name) {
      return fetch("/api/layers/" + name + ".geojson" + q, { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); });
    })).then(function (fcs) {
      if (seq !== viewSeq) { return; }  // a newer view was asked for meanwhile
      var capped = false;
      VIEW_LAYERS.forEach(function (name, i) {
        var id = "layer-" + name;
        capped = capped || (name === "grids" && fcs[i].capped);
        drawn[id] = 0;
        if (name === "grids") { Object.keys(gridLayers).forEach(function (k) { delete gridLayers[k]; }); }
        window.dash_clientside.set_props(id, { data: fcs[i] });
      });
      mapHint(capped);
      window.griddispatch.viewDrawn = { box: asked.box, z: asked.z, rev: asked.rev };
    }).catch(function () { if (seq === viewSeq) { viewAsked = null; } });  // asked again at the next move
    return { box: box, z: z, rev: rev };
  }

  // Planning's coverage hexagons in view, once the tab has its model (``ready``, a stamp):
  // the server sends those in view, coarser ones when too many (layers/planning.Hexagons).
  var covAsked = null, covSeq = 0;
  function covView(bounds, zoom, ready) {
    var NU = window.dash_clientside.no_update;
    if (!ready || !bounds || zoom === null || zoom === undefined) { return NU; }
    var z = Math.max(0, Math.floor(zoom)), box = tileBox(bounds, z), a = covAsked;
    if (a && a.ready === ready && a.z === z && within(box, a.box)) { return NU; }
    var seq = ++covSeq;
    covAsked = { box: box, z: z, ready: ready };
    fetch("/api/planning/coverage.geojson?bbox=" + box.join(",") + "&z=" + z, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (fc) { if (seq === covSeq) { window.dash_clientside.set_props("cov-hex", { data: fc }); } })
      .catch(function () { if (seq === covSeq) { covAsked = null; } });
    return NU;
  }
  // A coarser hexagon (``c``: its hexagons) takes the band most of them have, outlined when
  // any has people not reached.
  function covBand(h, p) {
    if (p.c === undefined) { return [(h.band || [])[p.i], (h.gap || [])[p.i] === 1]; }
    var n = {}, best, most = 0, gap = false;
    p.c.forEach(function (i) {
      var b = (h.band || [])[i];
      if (b === undefined) { return; }
      n[b] = (n[b] || 0) + 1;
      if (n[b] > most || (n[b] === most && b > best)) { most = n[b]; best = b; }
      gap = gap || (h.gap || [])[i] === 1;
    });
    return [best, gap];
  }

  // Units and cases stay above the grids. The map draws every shape on one canvas in the
  // order added, and the grids in view come after the live layers as the map moves; a grid
  // drawn over a case would also take its clicks. (A pane of their own for the grids would
  // not do: a canvas in a higher pane takes every click, so the grids could not be clicked.)
  var topMarks = new Set(), frontAsked = false;
  function onTop(m) {
    topMarks.add(m);
    m.on("remove", function () { topMarks.delete(m); });
    return m;
  }
  function keepOnTop() {
    if (frontAsked) { return; }
    frontAsked = true;
    requestAnimationFrame(function () {  // once the grids being added are all in
      frontAsked = false;
      topMarks.forEach(function (m) { if (m._map) { m.bringToFront(); } });
    });
  }

  // What has been drawn, per layer id: used by the browser tests and the big screen.
  var drawn = {}, gridLayers = {}, shown = {};  // shown: case number -> when drawn

  return {
    viewLayers: viewLayers,
    drawn: drawn,
    shown: shown,
    gridLayers: gridLayers,
    gridStyle: function (feature, ctx) {
      var h = ctxHideout(ctx), p = feature.properties;
      var colour = (h.colours || {})[p.type] || "#888";
      var selected = h.selected !== null && h.selected === p.id;
      return {
        color: selected ? "#111" : "#35507a", weight: selected ? 3 : 0.6, opacity: 0.9,
        fillColor: colour, fillOpacity: selected ? 0.45 : (p.type === "residential" ? 0.12 : 0.35)
      };
    },
    // Planning: a proposed change (orange changed, green new, grey retired), its problems
    // (red), and coverage hexagons coloured by travel-time band, uncovered people outlined.
    planStyle: function (feature, ctx) {
      var c = (ctxHideout(ctx).colours || {})[feature.properties.change] || "#e07b00";
      var gone = feature.properties.change === "retired";
      return { color: c, weight: 3, fillColor: c, fillOpacity: gone ? 0.05 : 0.25, dashArray: gone ? "6 4" : null };
    },
    problemStyle: function (feature, ctx) {
      return { color: "#d7263d", weight: 4, fillColor: "#d7263d", fillOpacity: 0.55 };
    },
    problemPoint: function (feature, latlng, ctx) {
      return L.circleMarker(latlng, { radius: 9, color: "#d7263d", weight: 3, fillOpacity: 0.5 });
    },
    covView: covView,
    covStyle: function (feature, ctx) {
      var h = ctxHideout(ctx), bg = covBand(h, feature.properties), band = bg[0], gap = bg[1];
      if (band === undefined) { return { stroke: false, fillOpacity: 0 }; }
      return { fillColor: (h.colours || [])[band] || "#bdbdbd", fillOpacity: 0.45,
               color: gap ? "#d7263d" : "#ffffff", weight: gap ? 1.2 : 0.2, opacity: gap ? 0.9 : 0.5 };
    },
    // The boundary editor: an edited polygon (all its parts) or a drawn line/polygon goes to
    // the preview. A drawn shape is removed again: the preview layer shows the result.
    planDrawn: function (e, ctx) {
      var geoms = [];
      if (e.layers) { e.layers.eachLayer(function (l) { geoms.push(l.toGeoJSON().geometry); }); }
      if (e.layer) {
        geoms.push(e.layer.toGeoJSON().geometry);
        var drawnLayer = e.layer;
        setTimeout(function () { drawnLayer.remove(); }, 0);
      }
      if (!geoms.length) { return; }
      var g = geoms[0];
      if (geoms.length > 1) {
        g = { type: "MultiPolygon", coordinates: geoms.map(function (x) { return x.coordinates; }) };
      }
      window.dash_clientside.set_props("plan-drawn", { data: { geometry: g, t: Date.now() } });
    },
    // Mass tasks: the areas drawn (and edited or deleted) so far, as one geometry.
    taskDrawn: function (e, ctx) {
      var kept = window.griddispatchTaskAreas = window.griddispatchTaskAreas || [];
      if (e.type === "draw:created" && e.layer) { kept.push(e.layer); }
      if (e.type === "draw:deleted" && e.layers) {
        e.layers.eachLayer(function (l) { var i = kept.indexOf(l); if (i >= 0) { kept.splice(i, 1); } });
      }
      var polys = kept.map(function (l) { return l.toGeoJSON().geometry.coordinates; });
      var g = polys.length ? { type: "MultiPolygon", coordinates: polys } : null;
      window.dash_clientside.set_props("task-drawn", { data: { geometry: g, t: Date.now() } });
    },
    // Completion per grid: white (nothing) to green (done); late grids outlined red.
    taskStyle: function (feature, ctx) {
      var h = ctxHideout(ctx), p = feature.properties, ramp = h.ramp || ["#eee"];
      var colour = ramp[Math.min(ramp.length - 1, Math.floor((p.share || 0) * (ramp.length - 1)))];
      return {
        fillColor: colour, fillOpacity: 0.75,
        color: p.late ? (h.late || "#d7301f") : "#555", weight: p.late ? 3 : 0.6,
      };
    },
    // Supervision heatmap: count (0..top), change (-top..top) or hotspot level per hexagon.
    hexStyle: function (feature, ctx) {
      var h = ctxHideout(ctx), p = feature.properties, colour = "#f7f7f7";
      if (h.mode === "hot") {
        colour = (h.colours || {})[String(p.lv)] || "#f7f7f7";
      } else if (h.ramp) {
        var ramp = h.ramp, top = h.top || 1, v = h.mode === "diff" ? p.d : p.n;
        var f = h.mode === "diff" ? (v / top + 1) / 2 : Math.sqrt(Math.max(v, 0) / top);
        colour = ramp[Math.max(0, Math.min(ramp.length - 1, Math.floor(f * ramp.length)))];
      }
      return { fillColor: colour, fillOpacity: 0.7, color: "#666", weight: 0.3, opacity: 0.6 };
    },
    // A platform marker dropped on the map: tell the what-if callback where (index, lat, lng).
    siteDragged: function (e, ctx) {
      // dash-leaflet hands a pattern-matching id over as its JSON text
      var id = ctx && ctx.id, ll = e.target.getLatLng();
      if (typeof id === "string") { try { id = JSON.parse(id); } catch (err) { id = null; } }
      var i = id && id.i !== undefined ? Number(id.i) : -1;
      window.dash_clientside.set_props("cov-drag", { data: { i: i, lat: ll.lat, lng: ll.lng, t: Date.now() } });
    },
    boundaryStyle: function (feature, ctx) {
      var h = ctxHideout(ctx);
      return { color: h.colour || "#333", weight: h.weight || 2, fill: false, dashArray: "6 4" };
    },
    roadStyle: function (feature, ctx) {
      var s = (ctxHideout(ctx).styles || {})[feature.properties["class"]] || ["#ccc", 1];
      var p = feature.properties;
      // bridges and elevated roads dark and wider; tunnels and roads closed to cars dashed
      return { color: p.bridge ? "#7a4b1e" : s[0], weight: s[1] + (p.bridge ? 1.5 : 0),
               opacity: p.tunnel ? 0.6 : 1,
               dashArray: p.tunnel ? "8 6" : (p.car === "no" ? "3 4" : null) };
    },
    waterStyle: function (feature, ctx) {
      var c = ctxHideout(ctx).colour || "#9cc9e8";
      return { color: c, weight: 1, fillColor: c, fillOpacity: 0.9 };
    },
    platformPoint: function (feature, latlng, ctx) {
      var c = ctxHideout(ctx).colour || "#111c4e";
      var icon = L.divIcon({ className: "gd-platform", html: "", iconSize: [16, 16] });
      var m = L.marker(latlng, { icon: icon, keyboard: false });
      m.options.gdColour = c;
      return m;
    },
    unitPoint: function (feature, latlng, ctx) {
      var h = ctxHideout(ctx), p = feature.properties;
      var colour = (h.colours || {})[p.type] || "#555";
      var busy = (h.busy || []).indexOf(p.status) >= 0;
      return onTop(L.circleMarker(latlng, {
        radius: p.type === "grid_worker" ? 3.5 : 5, color: busy ? "#000" : "#fff",
        weight: busy ? 2 : 1, fillColor: colour, fillOpacity: p.status === "off_duty" ? 0.35 : 0.95
      }));
    },
    incidentPoint: function (feature, latlng, ctx) {
      var h = ctxHideout(ctx), p = feature.properties;
      var colour = (h.colours || {})[p.priority] || "#1e88e5";
      var escalated = p.escalation_level && p.escalation_level !== "grid";
      return onTop(L.circleMarker(latlng, {
        radius: p.priority === "red" ? 8 : 6.5, color: escalated ? "#6a1b9a" : "#fff",
        weight: escalated ? 3.5 : 1.5, fillColor: colour, fillOpacity: 0.95,
        className: p.overdue ? "gd-overdue" : ""
      }));
    },
    // Dispatch desk: routes of the recommended units, their numbered start points, the
    // case they go to, and the operator's picked point.
    routeStyle: function (feature) {
      return { color: feature.properties.colour || "#6a1b9a", weight: 4, opacity: 0.85 };
    },
    routePoint: function (feature, latlng) {
      var p = feature.properties;
      if (p.kind === "pick") {
        return L.marker(latlng, { icon: L.divIcon({ className: "gd-pick", iconSize: [22, 22] }),
                                   keyboard: false, interactive: false });
      }
      var icon = L.divIcon({ className: "gd-rank-icon", iconSize: [20, 20],
                             html: "<span style='background:" + String(p.colour).replace(/[^#0-9a-fA-F]/g, "") + "'>" + Number(p.rank) + "</span>" });
      return L.marker(latlng, { icon: icon, keyboard: false, interactive: false });
    },
    tickNow: function () { tick(); return ""; },
    queueRender: queueRender,
    queueFilter: queueFilter,
    keepDrafts: keepDrafts,
    caseInUrl: caseInUrl,
    liveApply: liveApply,
    caseLive: caseLive,
    caseCaught: caseCaught,
    dbBanner: dbBanner,
    replayFrame: replayFrame,
    liveSeq: -1,
    tickBytes: [],
    clusterPoint: function (feature, latlng, index, ctx) {
      var n = feature.properties.point_count;
      var size = n < 50 ? 26 : n < 500 ? 34 : 42;
      var icon = L.divIcon({
        html: "<div><span>" + Number(n) + "</span></div>", className: "gd-cluster",
        iconSize: L.point(size, size)
      });
      return L.marker(latlng, { icon: icon });
    },
    tooltip: function (feature, layer, ctx) {
      var p = feature.properties || {};
      if (p.cluster) { return; }
      var id = (ctx && ctx.id) || "?";
      drawn[id] = (drawn[id] || 0) + 1;
      if (id === "layer-grids") { gridLayers[p.code] = layer; keepOnTop(); }
      var lines;
      if (p.call_sign !== undefined) {
        lines = [p.call_sign, p.type + " · " + p.status];
      } else if (p.number !== undefined) {
        shown[p.number] = Date.now();
        var lang = document.documentElement.lang === "en" ? "en" : "zh";
        lines = [lang === "en" ? p.category_en : p.category_zh, p.number, p.reported,
                 p.escalation_level && p.escalation_level !== "grid" ? "↑ " + p.escalation_level : ""];
      } else if (p.members !== undefined) {
        lines = [p.name, p.code];
      } else {
        lines = [p.name, p.code];
      }
      layer.bindTooltip(textNode(lines), { sticky: true, direction: "top" });
    }
  };
})();
