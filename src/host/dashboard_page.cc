#include "host/dashboard_page.h"

namespace peerstore::host {
namespace {

constexpr std::string_view kPage = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>PeerStore</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; background: #fafafa; }
  h1 { font-size: 1.3em; margin: 0 0 .2em; }
  h2 { font-size: 1em; margin: 1.2em 0 .3em; }
  #main { display: flex; flex-wrap: wrap; gap: 2em; }
  #ring { width: 420px; height: 420px; background: #fff; border: 1px solid #ddd; }
  table { border-collapse: collapse; }
  td { padding: .1em .8em .1em 0; vertical-align: top; }
  td:first-child { color: #666; }
  .bad { color: #b00; font-weight: bold; }
  .mono { font-family: ui-monospace, monospace; font-size: .9em; }
  #error { color: #b00; }
  .legend span { margin-right: 1em; }
</style>
</head>
<body>
<h1>PeerStore <span id="program"></span></h1>
<div id="subtitle" class="mono"></div>
<div id="error"></div>
<div id="main">
  <div>
    <svg id="ring" viewBox="-210 -210 420 420" role="img" aria-label="the ring"></svg>
    <div class="legend"><span style="color:#1565c0">&#9679; this node</span>
      <span style="color:#2e7d32">&#9679; successors</span>
      <span style="color:#8e24aa">&#9679; predecessor</span>
      <span style="color:#999">&#9679; fingers</span></div>
  </div>
  <div id="tables"></div>
</div>
<script>
"use strict";
const SVG = "http://www.w3.org/2000/svg";

function showError(text) {
  document.getElementById("error").textContent = text;
  document.body.dataset.error = text;
}
window.addEventListener("error", e => showError("script error: " + e.message));

// A node's place on the circle: its id's first 32 bits as a fraction of the ring.
function angle(id) { return parseInt(id.slice(0, 8), 16) / 4294967296 * 2 * Math.PI; }
function point(id, r) {
  const a = angle(id) - Math.PI / 2;
  return [r * Math.cos(a), r * Math.sin(a)];
}
function svg(name, attrs, parent) {
  const e = document.createElementNS(SVG, name);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  parent.appendChild(e);
  return e;
}
function shortId(n) { return n.id.slice(0, 12) + "@" + n.address; }

function drawRing(s) {
  const ring = document.getElementById("ring");
  while (ring.firstChild) ring.removeChild(ring.firstChild);
  const R = 170;
  svg("circle", {cx: 0, cy: 0, r: R, fill: "none", stroke: "#ccc", "stroke-width": 2}, ring);
  const self = s.node, drawn = new Map();
  const place = (n, color, size, cls) => {
    if (drawn.has(n.id)) return;
    const [x, y] = point(n.id, R);
    const c = svg("circle", {cx: x, cy: y, r: size, fill: color, class: "node " + cls}, ring);
    svg("title", {}, c).textContent = shortId(n);
    drawn.set(n.id, [x, y]);
  };
  const [sx, sy] = point(self.id, R);
  for (const f of s.ring.fingers) {
    const [x, y] = point(f.id, R);
    svg("line", {x1: sx, y1: sy, x2: x, y2: y, stroke: "#bbb", "stroke-dasharray": "4 3",
                 class: "finger"}, ring);
  }
  for (const n of s.ring.successors) {
    const [x, y] = point(n.id, R);
    svg("line", {x1: sx, y1: sy, x2: x, y2: y, stroke: "#2e7d32", "stroke-opacity": .5,
                 class: "successor"}, ring);
  }
  place(self, "#1565c0", 9, "self");
  if (s.ring.predecessor) place(s.ring.predecessor, "#8e24aa", 6, "predecessor");
  for (const n of s.ring.successors) place(n, "#2e7d32", 6, "successor");
  for (const f of s.ring.fingers) place(f, "#999", 5, "finger");
  const label = svg("text", {x: 0, y: 5, "text-anchor": "middle", "font-size": 14}, ring);
  label.textContent = "about " + Math.round(s.ring.size_estimate) + " node" +
                      (Math.round(s.ring.size_estimate) == 1 ? "" : "s");
  return drawn.size;
}

function bytes(n) {
  const u = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  while (n >= 1024 && i + 1 < u.length) { n /= 1024; ++i; }
  return (i ? n.toFixed(n < 10 ? 1 : 0) : n) + " " + u[i];
}

function table(title, rows) {
  const box = document.getElementById("tables");
  const h = document.createElement("h2");
  h.textContent = title;
  box.appendChild(h);
  const t = document.createElement("table");
  for (const [k, v, bad] of rows) {
    const tr = t.insertRow();
    tr.insertCell().textContent = k;
    const td = tr.insertCell();
    td.textContent = v;
    if (bad) td.className = "bad";
  }
  box.appendChild(t);
}

function drawTables(s) {
  document.getElementById("tables").replaceChildren();
  const up = Math.round(s.node.uptime_ms / 1000);
  table("Node", [["id", s.node.id], ["address", s.node.address], ["state", s.node.state],
                 ["up", Math.floor(up / 3600) + "h " + Math.floor(up / 60) % 60 + "m " + up % 60 + "s"],
                 ["predecessor", s.ring.predecessor ? shortId(s.ring.predecessor) : "(none yet)"],
                 ["successors", s.ring.successors.map(shortId).join(", ") || "(none)"],
                 ["fingers", String(s.ring.fingers.length)]]);
  table("Replication", [["keys below target", String(s.replication.below_target),
                         s.replication.below_target > 0],
                        ["longest below target", s.replication.longest_short_ms + " ms"],
                        ["blocks held", s.storage.blocks + " (" + bytes(s.storage.block_bytes) + ")"],
                        ["head sets held", String(s.storage.head_sets)],
                        ["store", bytes(s.storage.store_free) + " free of " + bytes(s.storage.store_total),
                         s.storage.store_total > 0 && s.storage.store_free < s.storage.store_total / 50]]);
  const u = [["pending", String(s.uploads.pending), s.uploads.pending > 0]];
  if (s.mount) {
    u.push(["uploaded blocks", String(s.uploads.uploaded_blocks)]);
    u.push(["failures", String(s.uploads.failures), s.uploads.failures > 0]);
    if (s.uploads.last_error) u.push(["last error", s.uploads.last_error, true]);
  }
  table("Uploads", u);
  if (s.mount) {
    table("Mount", [["mountpoint", s.mount.mountpoint], ["requests", String(s.mount.requests)],
                    ["read", bytes(s.mount.bytes_read)], ["written", bytes(s.mount.bytes_written)]]);
    table("Live sync", [["rounds", String(s.sync.rounds)], ["merges", String(s.sync.merges)],
                        ["fast-forwards", String(s.sync.fast_forwards)],
                        ["failed rounds", String(s.sync.failures), s.sync.failures > 0],
                        ["conflict copies", String(s.conflicts), s.conflicts > 0]]);
  }
  table("Shares", s.shares.length ? s.shares.map(x => [x.name, x.access]) : [["", "none"]]);
}

async function refresh() {
  try {
    const r = await fetch("/api/status", {cache: "no-store"});
    if (!r.ok) throw new Error("/api/status answered " + r.status);
    const s = await r.json();
    document.getElementById("program").textContent = "· " + s.program;
    document.getElementById("subtitle").textContent = s.node.id.slice(0, 12) + "@" + s.node.address;
    const n = drawRing(s);
    drawTables(s);
    document.getElementById("error").textContent = "";
    delete document.body.dataset.error;
    document.body.dataset.drawn = String(n);
  } catch (e) {
    showError("cannot read the status: " + e.message);
  }
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
)html";

}  // namespace

std::string_view dashboard_page() {
  return kPage;
}

}  // namespace peerstore::host
