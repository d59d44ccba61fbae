// Analytics: draws the views chart from the page's JSON data block with
// the vendored uPlot, and lets the per-post table be sorted. The page is
// complete without it (tables).
(function () {
  "use strict";

  function token(name, fallback) {
    var v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return v || fallback;
  }

  // The chart's colours come from the colour tokens, so it follows the
  // theme; it is redrawn when the system's light or dark changes.
  var plot = null;

  function drawChart() {
    var box = document.getElementById("an-chart");
    var src = document.getElementById("an-chart-data");
    if (!box || !src || typeof uPlot === "undefined") return;
    var d;
    try { d = JSON.parse(src.textContent); } catch (e) { return; }
    if (!d || !d.x || d.x.length === 0) return;
    var colors = [token("--accent", "#1f5fbf"), token("--violet", "#5b3fa8"), token("--green", "#166534")];
    var dashes = [[], [6, 4], [2, 3]];
    var muted = token("--muted", "#5b636e");
    var grid = token("--border", "#8c949e");
    var series = [{ label: d.xlabel || "" }];
    for (var i = 0; i < d.labels.length; i++) {
      series.push({
        label: d.labels[i], stroke: colors[i % colors.length], width: 2, dash: dashes[i % dashes.length],
        spanGaps: true, points: { show: true, size: 6 },
        value: function (u, v) { return v == null ? "—" : v.toLocaleString(d.lang); }
      });
    }
    var axis = { stroke: muted, grid: { stroke: grid, width: 0.5 }, ticks: { stroke: grid, width: 0.5 } };
    var opts = {
      width: Math.max(280, box.clientWidth),
      height: 280,
      series: series,
      scales: { x: { time: true } },
      axes: [Object.assign({}, axis), Object.assign({}, axis, {
        size: 64,
        values: function (u, vals) { return vals.map(function (v) { return v == null ? "" : v.toLocaleString(d.lang); }); }
      })],
      legend: { live: true }
    };
    if (d.zone && uPlot.tzDate) {
      opts.tzDate = function (ts) { return uPlot.tzDate(new Date(ts * 1e3), d.zone); };
    }
    var data = [d.x].concat(d.series);
    if (plot) plot.destroy();
    box.textContent = "";
    plot = new uPlot(opts, data, box);
    box.setAttribute("data-drawn", "1");
  }

  function follow() {
    var box = document.getElementById("an-chart");
    var pending = null;
    window.addEventListener("resize", function () {
      if (!plot) return;
      if (pending) cancelAnimationFrame(pending);
      pending = requestAnimationFrame(function () {
        plot.setSize({ width: Math.max(280, box.clientWidth), height: 280 });
      });
    });
    if (window.matchMedia) {
      var dark = window.matchMedia("(prefers-color-scheme: dark)");
      if (dark.addEventListener) dark.addEventListener("change", function () { if (plot) drawChart(); });
    }
  }

  // Sorting the per-post table by one of its number columns.
  function sortable() {
    var table = document.getElementById("an-posts");
    if (!table) return;
    var subs = table.querySelectorAll("thead th.an-sub");
    var tbody = table.tBodies[0];
    subs.forEach(function (th, i) {
      var col = i + 2; // after the time and the post
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "an-sort";
      while (th.firstChild) btn.appendChild(th.firstChild);
      th.appendChild(btn);
      btn.addEventListener("click", function () {
        var desc = th.getAttribute("aria-sort") !== "descending";
        table.querySelectorAll("thead th[aria-sort]").forEach(function (o) { o.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", desc ? "descending" : "ascending");
        var rows = Array.prototype.slice.call(tbody.rows);
        rows.sort(function (a, b) {
          var x = Number(a.cells[col].getAttribute("data-sort"));
          var y = Number(b.cells[col].getAttribute("data-sort"));
          return desc ? y - x : x - y;
        });
        rows.forEach(function (r) { tbody.appendChild(r); });
      });
    });
  }

  function start() { drawChart(); follow(); sortable(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
