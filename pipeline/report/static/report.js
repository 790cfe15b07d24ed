/* vnplans report: sort, filter and page the documents table. Data from docs.js (window.VNP_DOCS);
   every value is put in with textContent, never parsed as HTML. No network. */
(function () {
  "use strict";
  var table = document.getElementById("docs");
  var data = window.VNP_DOCS;
  if (!table || !data) { return; }
  var PAGE = 200;
  var tbody = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  var flagSel = document.getElementById("flag");
  var q = document.getElementById("q");
  var count = document.getElementById("count");
  var pager = document.getElementById("pager");
  var more = document.getElementById("more");
  var filters = document.getElementById("filters");
  var state = { key: "source", dir: 1, page: 0 };
  if (more) { more.hidden = true; }
  if (filters) { filters.addEventListener("submit", function (e) { e.preventDefault(); }); }

  function keep(d) {
    var f = flagSel ? flagSel.value : "";
    if (f === "review" && !d.flags.length) { return false; }
    if (f === "clean" && (d.flags.length || d.status !== "done")) { return false; }
    if (f === "reviewed" && !d.reviewed) { return false; }
    if (f === "failed" && d.status !== "failed") { return false; }
    if (f === "warnings" && !d.warnings) { return false; }
    if (f.indexOf("reason:") === 0 && d.reasons.indexOf(f.slice(7)) < 0) { return false; }
    var t = q ? q.value.trim().toLowerCase() : "";
    if (t) {
      var hay = [d.source, d.doc_type, d.number, d.date, d.issuer, d.title, d.signer, d.error].join(" ").toLowerCase();
      if (hay.indexOf(t) < 0) { return false; }
    }
    return true;
  }
  function val(d, k) {
    var v = d[k];
    if (k === "flags") { return d.flags.length; }
    return v === null || v === undefined ? "" : v;
  }
  function cmp(a, b) {
    var x = val(a, state.key), y = val(b, state.key);
    if (typeof x === "number" || typeof y === "number") {
      x = x === "" ? -1 : x; y = y === "" ? -1 : y;
      return (x - y) * state.dir;
    }
    return String(x).localeCompare(String(y), "vi") * state.dir;
  }
  function cell(tr, text, cls) {
    var td = document.createElement("td");
    if (cls) { td.className = cls; }
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }
  function render() {
    var rows = data.filter(keep).sort(cmp);
    var pages = Math.max(1, Math.ceil(rows.length / PAGE));
    if (state.page >= pages) { state.page = pages - 1; }
    var frag = document.createDocumentFragment();
    rows.slice(state.page * PAGE, (state.page + 1) * PAGE).forEach(function (d) {
      var tr = document.createElement("tr");
      tr.className = d.status + (d.flags.length ? " flagged" : "") + (d.reviewed ? " reviewed" : "");
      var first = document.createElement("td");
      if (d.href) {
        var a = document.createElement("a");
        a.href = d.href;
        a.textContent = d.source;
        first.appendChild(a);
      } else { first.textContent = d.source; }
      tr.appendChild(first);
      cell(tr, d.doc_type); cell(tr, d.number); cell(tr, d.date); cell(tr, d.issuer); cell(tr, d.title);
      cell(tr, d.signer); cell(tr, d.pages === null ? "" : d.pages, "num");
      cell(tr, d.conf === null ? "" : Math.round(d.conf), "num");
      var fl = cell(tr, "");
      if (d.status === "failed") {
        var e = document.createElement("span"); e.className = "err"; e.textContent = "failed: " + d.error; fl.appendChild(e);
      }
      d.flags.forEach(function (f) {
        var s = document.createElement("span"); s.className = "flag"; s.textContent = f;
        fl.appendChild(s); fl.appendChild(document.createTextNode(" "));
      });
      cell(tr, d.reviewed);
      frag.appendChild(tr);
    });
    tbody.replaceChildren(frag);
    if (count) { count.textContent = rows.length + " of " + data.length + " shown"; }
    for (var i = 0; i < heads.length; i++) {
      heads[i].classList.remove("asc", "desc");
      if (heads[i].dataset.key === state.key) { heads[i].classList.add(state.dir > 0 ? "asc" : "desc"); }
    }
    if (pager) {
      pager.replaceChildren();
      if (pages > 1) {
        for (var p = 0; p < pages; p++) {
          var b = document.createElement("button");
          b.type = "button"; b.textContent = String(p + 1); b.disabled = p === state.page;
          b.dataset.page = String(p);
          pager.appendChild(b);
        }
      }
    }
  }
  for (var i = 0; i < heads.length; i++) {
    heads[i].addEventListener("click", function (e) {
      var k = e.currentTarget.dataset.key;
      state.dir = state.key === k ? -state.dir : 1;
      state.key = k; state.page = 0; render();
    });
  }
  if (pager) {
    pager.addEventListener("click", function (e) {
      if (e.target.dataset && e.target.dataset.page) { state.page = +e.target.dataset.page; render(); }
    });
  }
  if (flagSel) { flagSel.addEventListener("change", function () { state.page = 0; render(); }); }
  if (q) { q.addEventListener("input", function () { state.page = 0; render(); }); }
  render();
}());
