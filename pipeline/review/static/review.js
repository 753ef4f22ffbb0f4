/* gongwen review: the one script of the review site (index and document pages).
 *
 * Safe by construction: document strings reach the page only through textContent,
 * input .value and the JSON data block (parsed with JSON.parse); nothing is ever
 * assigned to innerHTML. A click only toggles classes on the elements concerned: the
 * text is never re-rendered, so a 300-page document stays responsive.
 *
 * Corrections live in localStorage under "gongwen-review:<doc_id>":
 *   {version: 1, verdicts: {id: "right"|"wrong"|"edited"}, edits: {id: {...gold fields,
 *    span?, text?}}, added: [{id, field, span, text, gold}]}
 * "export" downloads corrections-<doc_id>.json (docs/review.md describes the format).
 */
(function () {
  "use strict";

  var STORE = "gongwen-review:";
  var NUMERIC = {value: 1, value_max: 1, households: 1, persons: 1, year: 1, reference_year: 1};
  var LISTS = {recipients: 1, cited_documents: 1, co_issuers: 1, responsible: 1};
  var TEMPLATES = {
    departments: ["name"],
    date_windows: ["text", "kind", "start", "end"],
    figures: ["text", "value", "unit", "kind", "approx"],
    household_counts: ["text", "households", "persons", "category", "year"],
    tasks: ["title", "responsible", "start", "end"]
  };

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function make(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function attrSel(name, value) { return "[" + name + "=\"" + CSS.escape(value) + "\"]"; }

  function loadState(docId) {
    try {
      var s = JSON.parse(localStorage.getItem(STORE + docId) || "null");
      if (s && s.version === 1) {
        s.verdicts = s.verdicts || {}; s.edits = s.edits || {}; s.added = s.added || [];
        return s;
      }
    } catch (e) { /* a broken entry starts afresh */ }
    return {version: 1, verdicts: {}, edits: {}, added: []};
  }
  function saveState(docId, state) {
    state.saved_at = new Date().toISOString();
    localStorage.setItem(STORE + docId, JSON.stringify(state));
  }

  /* ---- index page ------------------------------------------------------------------ */

  function initIndex() {
    var table = $("#docs");
    if (!table) return;
    var tbody = table.tBodies[0];
    var rows = Array.prototype.slice.call(tbody.rows);
    var haystack = rows.map(function (r) { return r.textContent.toLowerCase(); });
    $("#filter").addEventListener("input", function (ev) {
      var q = ev.target.value.trim().toLowerCase(), shown = 0;
      rows.forEach(function (r, i) {
        var hit = !q || haystack[i].indexOf(q) >= 0;
        r.hidden = !hit;
        shown += hit;
      });
      $("#shown").textContent = shown;
    });
    $$("th button[data-col]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var col = +btn.dataset.col, numeric = btn.dataset.type === "num", th = btn.parentNode;
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        $$("th[aria-sort]", table).forEach(function (t) { t.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
        var val = function (r) {
          var c = r.cells[col], v = c.dataset.value !== undefined ? c.dataset.value : c.textContent;
          return numeric ? parseFloat(v) || 0 : v;
        };
        var order = rows.map(function (r, i) { return [val(r), i, r]; });
        order.sort(function (a, b) {
          var x = a[0], y = b[0];
          var c = numeric ? x - y : String(x).localeCompare(String(y), "zh-Hans-CN");
          return (c || a[1] - b[1]) * dir;
        });
        order.forEach(function (o) { tbody.appendChild(o[2]); });
        rows = order.map(function (o) { return o[2]; });
        haystack = rows.map(function (r) { return r.textContent.toLowerCase(); });
      });
    });
    rows.forEach(function (r) {
      var s = loadState(r.dataset.docId), n = Object.keys(s.verdicts).length + s.added.length;
      if (n) $("[data-status]", r).textContent = n + " marked";
    });
  }

  /* ---- document page --------------------------------------------------------------- */

  function initDocument() {
    var data = JSON.parse($("#review-data").textContent);
    var docId = data.doc_id;
    var state = loadState(docId);
    var textEl = $("#text"), origEl = $("#original");
    var view = textEl;
    var cache = {};          // view id + item id -> its mark elements (looked up once)
    var navList = {};        // view id -> first marks of items, in text order (for j/k)
    var current = null;      // selected item id
    var marked = [];         // elements carrying .marked
    var currentRow = null;
    var tip = $("#tip");
    var page = 1, pages = (data.pages && data.pages.count) || 0;

    function item(id) {
      if (data.items[id]) return data.items[id];
      for (var i = 0; i < state.added.length; i++) if (state.added[i].id === id) return state.added[i];
      return null;
    }
    function marksOf(id) {
      var k = view.id + "\u0000" + id;
      if (!cache[k]) cache[k] = $$("mark" + attrSel("data-item", id), view);
      return cache[k];
    }
    function nav() {
      if (!navList[view.id]) {
        var seen = {};
        navList[view.id] = $$("mark.hl:not(.cont)", view).filter(function (m) {
          if (seen[m.dataset.item]) return false;
          seen[m.dataset.item] = 1;
          return true;
        });
      }
      return navList[view.id];
    }
    function rowOf(id) { return $("tr" + attrSel("data-item", id)); }

    /* side-panel tables show ROWS rows at a time (hidden rows cost no layout) */
    var ROWS = 200;
    function showRows(table, first) {
      var rows = table.tBodies[0].rows, n = rows.length, cur = +(table.dataset.first || 0);
      first = Math.max(0, Math.min(first - first % ROWS, n - 1 - (n - 1) % ROWS));
      if (first === cur) return;
      for (var i = cur; i < Math.min(n, cur + ROWS); i++) rows[i].hidden = true;
      for (var j = first; j < Math.min(n, first + ROWS); j++) rows[j].hidden = false;
      table.dataset.first = first;
      var label = $(".pager" + attrSel("data-field", table.dataset.field) + " .pager-label");
      if (label) label.textContent = "rows " + (first + 1) + "–" + Math.min(n, first + ROWS) + " of " + n;
    }
    function reveal(row) {
      var table = row.closest("table");
      if (row.hidden && table && row.dataset.n !== undefined) showRows(table, +row.dataset.n);
      var det = row.closest("details");
      if (det && !det.open) det.open = true;
    }
    $$(".pager button").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var table = $("table.items" + attrSel("data-field", btn.parentNode.dataset.field));
        showRows(table, +(table.dataset.first || 0) + ROWS * +btn.dataset.step);
      });
    });

    /* selection */
    function select(id, mark, keepFocus) {
      marked.forEach(function (e) { e.classList.remove("marked"); });
      marked = [];
      if (currentRow) currentRow.classList.remove("current");
      current = id;
      var it = item(id);
      if (!it) return;
      var ms = marksOf(id);
      ms.forEach(function (e) { e.classList.add("marked"); marked.push(e); });
      var target = mark || ms[0];
      if (target) {
        target.scrollIntoView({block: "center"});
        if (!keepFocus) target.focus({preventScroll: true});
      } else if (it.span && !data.items[id]) {
        selectRange(it.span[0], it.span[1]);
      }
      currentRow = rowOf(id);
      if (currentRow) { reveal(currentRow); currentRow.classList.add("current"); currentRow.scrollIntoView({block: "nearest"}); }
      showInspector(id);
      var where = it.mentions ? (it.mentions[0] || {}) : it;
      if (target && it.mentions) {
        var k = +(target.dataset.id.split(".").pop());
        if (!isNaN(k) && it.mentions[k]) where = it.mentions[k];
      }
      if (where.page) showPage(where.page, where.bbox);
    }
    function step(delta) {
      var list = nav();
      if (!list.length) return;
      var i = -1;
      if (current) {
        var first = marksOf(current)[0];
        i = list.indexOf(first);
        if (i < 0 && first) i = list.findIndex(function (m) { return +m.dataset.start > +first.dataset.start; }) - (delta > 0 ? 1 : 0);
      }
      i = Math.max(0, Math.min(list.length - 1, i + delta));
      if (i < 0) i = 0;
      select(list[i].dataset.item, list[i]);
    }

    /* text offsets of the DOM selection (the <pre> holds exactly the record's text) */
    function offsetIn(root, node, off) {
      var r = document.createRange();
      r.setStart(root, 0);
      r.setEnd(node, off);
      return r.toString().length;
    }
    function selectedSpan() {
      var sel = window.getSelection();
      if (!sel.rangeCount || sel.isCollapsed) return null;
      var r = sel.getRangeAt(0);
      if (!textEl.contains(r.startContainer) || !textEl.contains(r.endContainer)) return null;
      var s = offsetIn(textEl, r.startContainer, r.startOffset), e = offsetIn(textEl, r.endContainer, r.endOffset);
      if (e <= s) return null;
      return [s, e];
    }
    function textAt(s, e) { return textEl.textContent.slice(s, e); }
    function selectRange(s, e) {
      var walker = document.createTreeWalker(textEl, NodeFilter.SHOW_TEXT), pos = 0, n, r = document.createRange(), started = false;
      while ((n = walker.nextNode())) {
        var len = n.nodeValue.length;
        if (!started && pos + len >= s) { r.setStart(n, s - pos); started = true; }
        if (started && pos + len >= e) { r.setEnd(n, e - pos); break; }
        pos += len;
      }
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(r);
      var host = r.startContainer.parentNode;
      if (host && host.scrollIntoView) host.scrollIntoView({block: "center"});
    }

    /* page image and bbox */
    function showPage(n, bbox) {
      if (!pages) return;
      page = Math.max(1, Math.min(pages, n));
      $("#page-label").textContent = "page " + page + " of " + pages;
      var img = $("#page-img"), box = $("#bbox");
      if (!img) return;
      var src = data.pages.images[page - 1];
      if (img.getAttribute("src") !== src) img.setAttribute("src", src);
      var size = data.pages.sizes && data.pages.sizes[page - 1];
      if (bbox && size) {
        box.style.left = (100 * bbox[0] / size[0]) + "%";
        box.style.top = (100 * bbox[1] / size[1]) + "%";
        box.style.width = (100 * (bbox[2] - bbox[0]) / size[0]) + "%";
        box.style.height = (100 * (bbox[3] - bbox[1]) / size[1]) + "%";
        box.hidden = false;
      } else {
        box.hidden = true;
      }
    }

    /* inspector: details, verdict, edit form (built with createElement and .value) */
    function goldOf(id) {
      var it = item(id), e = state.edits[id] || {}, g = {};
      Object.keys(it.gold || {}).forEach(function (k) { g[k] = k in e ? e[k] : it.gold[k]; });
      return g;
    }
    function showInspector(id) {
      var it = item(id);
      $("#insp-empty").hidden = true;
      $("#insp-body").hidden = false;
      $("#insp-field").textContent = it.field === "metadata" ? "metadata · " + it.name : it.field;
      $("#insp-field").className = "tag hl f-" + it.field;
      var edit = state.edits[id] || {};
      $("#insp-text").textContent = edit.text !== undefined ? edit.text : it.text;
      var span = edit.span || it.span || (it.mentions && it.mentions[0] && it.mentions[0].span);
      $("#insp-span").textContent = span ? "[" + span[0] + ", " + span[1] + ")" + (edit.span ? " (new boundary)" : "") : "";
      var dl = $("#insp-details");
      dl.textContent = "";
      (it.details || []).forEach(function (kv) {
        dl.appendChild(make("dt", kv[0]));
        dl.appendChild(make("dd", kv[1]));
      });
      var v = state.verdicts[id] || null;
      $("#v-right").setAttribute("aria-pressed", String(v === "right"));
      $("#v-wrong").setAttribute("aria-pressed", String(v === "wrong"));
      $("#insp-verdict").textContent = v ? "marked " + v : "not reviewed";
      var box = $("#edit-fields");
      box.textContent = "";
      var g = goldOf(id);
      Object.keys(g).forEach(function (k) {
        if (k === "text") return;  // the boundary changes the text
        var p = make("p"), lab = make("label", k + " "), input;
        var value = g[k];
        if (LISTS[k]) {
          input = document.createElement("textarea");
          input.rows = 3;
          input.value = (value || []).join("\n");
          lab.appendChild(make("span", "(one per line)", "muted"));
        } else {
          input = document.createElement("input");
          input.type = "text";
          input.value = value === null || value === undefined ? "" : String(value);
        }
        input.name = k;
        input.id = "edit-" + k;
        lab.htmlFor = input.id;
        p.appendChild(lab);
        p.appendChild(input);
        box.appendChild(p);
      });
    }
    function setVerdict(id, verdict) {
      if (!id || !item(id)) return;
      if (verdict) state.verdicts[id] = verdict; else { delete state.verdicts[id]; delete state.edits[id]; }
      saveState(docId, state);
      paintStatus(id);
      showInspector(id);
      progress();
    }
    function paintStatus(id) {
      var v = state.verdicts[id] || "";
      var row = rowOf(id);
      if (row) {
        row.dataset.verdict = v;
        var cell = $("[data-status]", row);
        if (cell) cell.textContent = v ? {right: "✓ right", wrong: "✗ wrong", edited: "✎ corrected"}[v] : "";
      }
      marksOf(id).forEach(function (m) { if (v) m.dataset.verdict = v; else delete m.dataset.verdict; });
    }
    function progress() {
      var ids = Object.keys(data.items), done = ids.filter(function (i) { return state.verdicts[i]; }).length;
      $("#progress").textContent = done + " of " + ids.length + " items reviewed" +
        (state.added.length ? ", " + state.added.length + " added" : "");
    }
    function saveEdit(ev) {
      ev.preventDefault();
      if (!current) return;
      var e = state.edits[current] || {};
      $$("#edit-fields [name]").forEach(function (input) {
        var k = input.name, raw = input.value.trim(), v;
        if (LISTS[k]) v = raw ? raw.split(/\n+/).map(function (s) { return s.trim(); }).filter(Boolean) : [];
        else if (NUMERIC[k]) v = raw === "" ? null : Number(raw);
        else v = raw === "" ? null : raw;
        if (NUMERIC[k] && v !== null && isNaN(v)) { input.setCustomValidity("a number"); input.reportValidity(); throw new Error("not a number"); }
        e[k] = v;
      });
      state.edits[current] = e;
      var it = item(current);
      if (!data.items[current]) { it.gold = goldOf(current); }
      setVerdict(current, "edited");
    }
    function setBoundary() {
      var span = selectedSpan();
      if (!current || !span) { $("#insp-verdict").textContent = "select the item's text in the document first"; return; }
      var e = state.edits[current] || {};
      e.span = span;
      e.text = textAt(span[0], span[1]);
      if (item(current).field === "departments") e.name = e.text;
      state.edits[current] = e;
      setVerdict(current, "edited");
    }
    function addItem() {
      var span = selectedSpan();
      if (!span) { $("#add-item").textContent = "select text first, then add"; return; }
      var field = $("#add-field").value, text = textAt(span[0], span[1]), gold = {};
      (TEMPLATES[field] || []).forEach(function (k) { gold[k] = LISTS[k] ? [] : null; });
      if ("text" in gold) gold.text = text;
      if ("name" in gold) gold.name = text;
      if ("title" in gold) gold.title = text;
      var n = 0;
      state.added.forEach(function (a) { n = Math.max(n, +a.id.slice(1) + 1); });
      var added = {id: "a" + n, field: field, span: span, text: text, gold: gold,
                   details: [["added", "by the reviewer"]]};
      state.added.push(added);
      state.verdicts[added.id] = "right";
      saveState(docId, state);
      renderAdded();
      select(added.id, null, true);
      progress();
    }
    function renderAdded() {
      var tbody = $("#added-table tbody");
      tbody.textContent = "";
      state.added.forEach(function (a) {
        var tr = make("tr");
        tr.dataset.item = a.id;
        tr.tabIndex = 0;
        tr.appendChild(make("td", a.text));
        tr.appendChild(make("td", a.field));
        var st = make("td", "", "status");
        st.dataset.status = "";
        tr.appendChild(st);
        tbody.appendChild(tr);
        paintStatus(a.id);
      });
    }

    function exportCorrections() {
      var items = Object.keys(data.items).map(function (id) {
        var it = data.items[id];
        return {id: id, field: it.field, name: it.name, text: it.text,
                span: it.span || (it.mentions && it.mentions[0] ? it.mentions[0].span : null),
                verdict: state.verdicts[id] || null, gold: it.gold, edit: state.edits[id] || null};
      });
      var added = state.added.map(function (a) {
        return {id: a.id, field: a.field, text: a.text, span: a.span, verdict: state.verdicts[a.id] || null,
                gold: goldOf(a.id)};
      });
      var out = {format: "gongwen-corrections", version: 1, doc_id: docId, doc: data.doc,
                 source_path: data.source_path, sha256: data.sha256, pipeline_version: data.pipeline_version,
                 exported_at: new Date().toISOString(), items: items, added: added};
      var blob = new Blob([JSON.stringify(out, null, 1) + "\n"], {type: "application/json"});
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = "corrections-" + docId + ".json";
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
      $("#progress").textContent = "exported " + a.download;
    }

    function showTip(m) {
      if (!m || !m.title) { tip.hidden = true; return; }
      tip.textContent = m.title;
      var r = m.getBoundingClientRect();
      tip.style.left = Math.max(4, r.left + window.scrollX) + "px";
      tip.style.top = (r.bottom + window.scrollY + 6) + "px";
      tip.hidden = false;
    }

    /* wiring */
    [textEl, origEl].forEach(function (root) {
      if (!root) return;
      root.addEventListener("click", function (ev) {
        var m = ev.target.closest("mark.hl");
        if (m && window.getSelection().isCollapsed) select(m.dataset.item, m);
      });
      root.addEventListener("focusin", function (ev) { showTip(ev.target.closest("mark.hl")); });
      root.addEventListener("focusout", function () { tip.hidden = true; });
    });
    document.addEventListener("click", function (ev) {
      var t = ev.target.closest("tr[data-item], a.evidence");
      if (!t) return;
      if (t.tagName === "A") ev.preventDefault();
      select(t.dataset.item);
    });
    document.addEventListener("keydown", function (ev) {
      var tag = (ev.target.tagName || "").toLowerCase();
      if (tag === "input" || tag === "textarea" || tag === "select" || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      var row = ev.target.closest && ev.target.closest("tr[data-item]");
      if (row && (ev.key === "Enter" || ev.key === " ")) { ev.preventDefault(); select(row.dataset.item); return; }
      if (row && (ev.key === "ArrowDown" || ev.key === "ArrowUp")) {
        var next = ev.key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling;
        if (next && next.hidden) reveal(next);
        if (next) { ev.preventDefault(); next.focus(); }
        return;
      }
      var k = ev.key;
      if (k === "j" || k === "n") { ev.preventDefault(); step(1); }
      else if (k === "k" || k === "p") { ev.preventDefault(); step(-1); }
      else if (k === "y") setVerdict(current, "right");
      else if (k === "x") setVerdict(current, "wrong");
      else if (k === "u") setVerdict(current, null);
      else if (k === "a") addItem();
      else if (k === "b") setBoundary();
      else if (k === "o" && origEl) toggleOriginal();
      else if (k === "Escape") { marked.forEach(function (e) { e.classList.remove("marked"); }); marked = []; tip.hidden = true; }
    });
    $("#v-right").addEventListener("click", function () { setVerdict(current, "right"); });
    $("#v-wrong").addEventListener("click", function () { setVerdict(current, "wrong"); });
    $("#v-clear").addEventListener("click", function () { setVerdict(current, null); });
    $("#edit-form").addEventListener("submit", saveEdit);
    $("#set-boundary").addEventListener("mousedown", function (ev) { ev.preventDefault(); });
    $("#set-boundary").addEventListener("click", setBoundary);
    $("#add-item").addEventListener("mousedown", function (ev) { ev.preventDefault(); });
    $("#add-item").addEventListener("click", addItem);
    $("#export").addEventListener("click", exportCorrections);
    $("#accept-rest").addEventListener("click", function () {
      Object.keys(data.items).forEach(function (id) { if (!state.verdicts[id]) { state.verdicts[id] = "right"; paintStatus(id); } });
      saveState(docId, state);
      progress();
    });
    $("#reset").addEventListener("click", function () {
      if (!window.confirm("Clear every mark and correction of this document in this browser?")) return;
      var ids = Object.keys(state.verdicts);
      state = {version: 1, verdicts: {}, edits: {}, added: []};
      localStorage.removeItem(STORE + docId);
      ids.forEach(paintStatus);
      renderAdded();
      progress();
    });
    function toggleOriginal() {
      var on = origEl.hidden;
      origEl.hidden = !on;
      textEl.hidden = on;
      view = on ? origEl : textEl;
      $("#toggle-original").setAttribute("aria-pressed", String(on));
      $("#toggle-original").textContent = on ? "show normalised text (o)" : "show original script (o)";
      if (current) select(current, null, true);
    }
    if (origEl) $("#toggle-original").addEventListener("click", toggleOriginal);
    if (pages && $("#prev-page")) {
      $("#prev-page").addEventListener("click", function () { showPage(page - 1, null); });
      $("#next-page").addEventListener("click", function () { showPage(page + 1, null); });
      var first = nav()[0], it0 = first && item(first.dataset.item);
      showPage((first && +first.dataset.page) || 1, null);
      if (it0 === null) showPage(1, null);
    }

    Object.keys(state.verdicts).forEach(paintStatus);
    renderAdded();
    progress();
    window.gongwenReview = {state: function () { return state; }, select: select};
  }

  function init() {
    if (document.body.classList.contains("index")) initIndex();
    else if (document.body.classList.contains("document")) initDocument();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
