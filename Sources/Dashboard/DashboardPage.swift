/// The live dashboard: one HTML page with its CSS and JavaScript inline (no external assets, so it works on an
/// air-gapped cluster). It polls `/api/metrics` (readings of `/metrics`), `/api/events` and `/readyz` every sample
/// interval and draws, per model, the metric over time with promotions marked; drift statistics per feature against
/// their thresholds; open and recent incidents with their descriptions; the model-version timeline with gate
/// decisions; and pipeline throughput, latency and consumer lag. Script errors are counted in `#errors`
/// (`data-count`), which the browser test reads.
enum DashboardPage {
    static func html(title: String, sampleIntervalMilliseconds: Int) -> String {
        template
            .replacingOccurrences(of: "__TITLE__", with: escape(title))
            .replacingOccurrences(of: "__INTERVAL__", with: String(max(250, sampleIntervalMilliseconds)))
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static let template = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__ · Tideline</title>
<style>
:root { --bg:#0f1419; --panel:#161c24; --line:#263040; --text:#d8dee9; --muted:#8a96a8; --ok:#3fb950; --warn:#d29922;
        --bad:#f85149; --accent:#58a6ff; --accent2:#bc8cff; --accent3:#39c5cf; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--text); font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; }
header { display:flex; align-items:center; gap:16px; padding:12px 20px; border-bottom:1px solid var(--line); background:var(--panel); }
header h1 { font-size:18px; margin:0; font-weight:600; }
header .sub { color:var(--muted); }
.pill { padding:2px 10px; border-radius:999px; font-size:12px; font-weight:600; border:1px solid var(--line); }
.pill.ok { color:var(--ok); border-color:var(--ok); } .pill.bad { color:var(--bad); border-color:var(--bad); }
.pill.warn { color:var(--warn); border-color:var(--warn); }
main { display:grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap:16px; padding:16px 20px; }
section { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:12px 16px; min-width:0; }
section.wide { grid-column: 1 / -1; }
h2 { font-size:15px; margin:0 0 8px; font-weight:600; }
h3 { font-size:13px; margin:12px 0 4px; color:var(--muted); font-weight:600; }
table { width:100%; border-collapse:collapse; font-size:13px; }
th, td { text-align:left; padding:4px 6px; border-bottom:1px solid var(--line); vertical-align:top; }
th { color:var(--muted); font-weight:600; }
td.num { text-align:right; font-variant-numeric: tabular-nums; }
.muted { color:var(--muted); }
.badge { display:inline-block; padding:0 6px; border-radius:4px; font-size:12px; font-weight:600; }
.badge.critical, .badge.rejected, .badge.over { background:rgba(248,81,73,.15); color:var(--bad); }
.badge.warning { background:rgba(210,153,34,.15); color:var(--warn); }
.badge.info, .badge.resolved, .badge.under { background:rgba(63,185,80,.12); color:var(--ok); }
.badge.promoted { background:rgba(88,166,255,.15); color:var(--accent); }
.badge.firing { background:rgba(248,81,73,.25); color:#ffb3ad; }
.desc { white-space:pre-wrap; color:var(--text); margin-top:2px; font-size:12.5px; }
.incident { border-left:3px solid var(--line); padding:6px 10px; margin:6px 0; background:rgba(255,255,255,.02); }
.incident.firing { border-left-color:var(--bad); } .incident.resolved { border-left-color:var(--ok); }
.legend { display:flex; flex-wrap:wrap; gap:10px; font-size:12px; color:var(--muted); margin:4px 0; }
.legend i { display:inline-block; width:10px; height:3px; vertical-align:middle; margin-right:4px; }
svg { display:block; width:100%; }
svg text { fill:var(--muted); font-size:10px; }
.bar { height:8px; background:var(--line); border-radius:4px; position:relative; min-width:120px; }
.bar > span { position:absolute; left:0; top:0; bottom:0; border-radius:4px; }
.bar > b { position:absolute; top:-3px; bottom:-3px; width:2px; background:var(--text); }
.kpis { display:flex; flex-wrap:wrap; gap:18px; margin:4px 0 8px; }
.kpi .v { font-size:20px; font-weight:600; font-variant-numeric: tabular-nums; }
.kpi .l { color:var(--muted); font-size:12px; }
#errors[data-count="0"] { display:none; }
#errors { color:var(--bad); padding:4px 20px; }
.empty { color:var(--muted); font-style:italic; padding:6px 0; }
</style>
</head>
<body>
<header>
  <h1>Tideline</h1><span class="sub">__TITLE__</span>
  <span id="ready" class="pill">…</span>
  <span id="updated" class="sub"></span>
</header>
<div id="errors" data-count="0"></div>
<main>
  <section class="wide" id="models"><h2>Model performance over time</h2><div id="model-charts"><div class="empty">Waiting for the first evaluated window…</div></div></section>
  <section id="drift-section"><h2>Drift per feature (latest window vs reference)</h2><div id="drift"><div class="empty">No drift test yet.</div></div></section>
  <section id="incidents-section"><h2>Incidents</h2><div id="incidents"><div class="empty">No incident.</div></div></section>
  <section class="wide" id="versions-section"><h2>Model versions and gate decisions</h2><div id="versions"><div class="empty">No model update yet.</div></div></section>
  <section class="wide" id="pipeline-section"><h2>Pipeline</h2><div id="pipeline"><div class="empty">Waiting for metrics…</div></div></section>
</main>
<script>
"use strict";
const INTERVAL = __INTERVAL__;
const MAX_POINTS = 900;
const COLORS = ["#58a6ff", "#3fb950", "#bc8cff", "#d29922", "#39c5cf", "#f778ba", "#f85149", "#a5d6ff"];
const errors = [];
function reportError(message) {
  errors.push(String(message));
  const e = document.getElementById("errors");
  e.dataset.count = String(errors.length);
  e.textContent = "Dashboard script errors: " + errors.join(" | ");
}
window.addEventListener("error", ev => reportError(ev.message || "error"));
window.addEventListener("unhandledrejection", ev => reportError(ev.reason && ev.reason.message ? ev.reason.message : String(ev.reason)));

const store = { times: [], series: new Map(), events: { incidents: [], versions: [] }, last: null, groups: {} };

function key(s) {
  const names = Object.keys(s.labels).sort();
  return s.name + "{" + names.map(n => n + "=" + s.labels[n]).join(",") + "}";
}
function merge(win) {
  const offset = store.times.length;
  for (const t of win.times) store.times.push(t);
  for (const s of win.series) {
    const k = key(s);
    let e = store.series.get(k);
    if (!e) { e = { name: s.name, labels: s.labels, values: [] }; store.series.set(k, e); }
    while (e.values.length < offset) e.values.push(null);
    for (const v of s.values) e.values.push(v);
  }
  for (const e of store.series.values()) while (e.values.length < store.times.length) e.values.push(null);
  const drop = store.times.length - MAX_POINTS;
  if (drop > 0) {
    store.times.splice(0, drop);
    for (const e of store.series.values()) e.values.splice(0, drop);
  }
  if (win.times.length) store.last = win.times[win.times.length - 1];
}
function find(name, match) {
  const out = [];
  for (const s of store.series.values()) {
    if (s.name !== name) continue;
    let ok = true;
    for (const k in (match || {})) if (s.labels[k] !== match[k]) { ok = false; break; }
    if (ok) out.push(s);
  }
  return out;
}
function latest(s) { for (let i = s.values.length - 1; i >= 0; i--) if (s.values[i] !== null) return s.values[i]; return null; }
function rate(s) {
  const out = new Array(s.values.length).fill(null);
  for (let i = 1; i < s.values.length; i++) {
    const a = s.values[i - 1], b = s.values[i], dt = (store.times[i] - store.times[i - 1]) / 1000;
    if (a !== null && b !== null && dt > 0 && b >= a) out[i] = (b - a) / dt;
  }
  return out;
}
function sumSeries(list) {
  const out = new Array(store.times.length).fill(null);
  for (const s of list) s.values.forEach((v, i) => { if (v !== null) out[i] = (out[i] || 0) + v; });
  return out;
}
function lastOf(values) { for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i]; return null; }
function fmt(v, digits) {
  if (v === null || v === undefined || !isFinite(v)) return "–";
  const d = Math.abs(v) >= 100 ? 0 : digits === undefined ? 3 : digits;
  if (Math.abs(v) >= 1e6) return (v / 1e6).toFixed(2) + "M";
  if (Math.abs(v) >= 1e4) return (v / 1e3).toFixed(1) + "k";
  return Number(v).toFixed(d);
}
function esc(s) { return String(s === null || s === undefined ? "" : s).replace(/[&<>"]/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]); }
function clock(ms) { return ms ? new Date(ms).toLocaleTimeString([], { hour12: false }) : "–"; }
function ago(ms) {
  if (!ms) return "–";
  const s = Math.max(0, (Date.now() - ms) / 1000);
  return s < 90 ? s.toFixed(0) + " s ago" : s < 5400 ? (s / 60).toFixed(0) + " min ago" : (s / 3600).toFixed(1) + " h ago";
}

// An SVG line chart over the sampled times; lines: [{label, values, color, dashed}], markers: [{t, label, color}].
function chart(lines, opts) {
  const o = Object.assign({ height: 180, min: null, max: null, unit: "" }, opts || {});
  const W = 900, H = o.height, L = 44, R = 10, T = 10, B = 22;
  const times = store.times;
  if (times.length < 2) return '<div class="empty">Collecting readings…</div>';
  let lo = o.min, hi = o.max;
  const all = [];
  for (const l of lines) for (const v of l.values) if (v !== null && isFinite(v)) all.push(v);
  if (lo === null) lo = all.length ? Math.min(...all) : 0;
  if (hi === null) hi = all.length ? Math.max(...all) : 1;
  if (hi - lo < 1e-9) { hi = hi + 0.5; lo = lo - 0.5; }
  const t0 = times[0], t1 = times[times.length - 1];
  const x = t => L + (W - L - R) * (t - t0) / Math.max(1, t1 - t0);
  const y = v => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
  let svg = '<svg viewBox="0 0 ' + W + " " + H + '" preserveAspectRatio="none" role="img">';
  for (let i = 0; i <= 4; i++) {
    const v = lo + (hi - lo) * i / 4, yy = y(v);
    svg += '<line x1="' + L + '" x2="' + (W - R) + '" y1="' + yy + '" y2="' + yy + '" stroke="#263040" stroke-width="1"/>';
    svg += '<text x="' + (L - 4) + '" y="' + (yy + 3) + '" text-anchor="end">' + fmt(v, 2) + o.unit + "</text>";
  }
  for (let i = 0; i <= 4; i++) {
    const t = t0 + (t1 - t0) * i / 4;
    svg += '<text x="' + x(t) + '" y="' + (H - 6) + '" text-anchor="middle">' + clock(t) + "</text>";
  }
  const placed = [];
  for (const m of (o.markers || []).slice().sort((a, b) => a.t - b.t)) {
    if (m.t < t0 || m.t > t1) continue;
    const mx = x(m.t), width = 6 * m.label.length + 6;
    let row = 0;
    while (placed.some(p => p.row === row && mx < p.end)) row++;
    placed.push({ row: row, end: mx + width });
    svg += '<line x1="' + mx + '" x2="' + mx + '" y1="' + T + '" y2="' + (H - B) + '" stroke="' + m.color + '" stroke-dasharray="3,3"/>';
    svg += '<text x="' + (mx + 3) + '" y="' + (T + 9 + 11 * row) + '" style="fill:' + m.color + '">' + esc(m.label) + "</text>";
  }
  for (const l of lines) {
    let d = "", pen = false;
    l.values.forEach((v, i) => {
      if (v === null || !isFinite(v)) { pen = false; return; }
      d += (pen ? "L" : "M") + x(times[i]).toFixed(1) + "," + y(v).toFixed(1);
      pen = true;
    });
    if (d) svg += '<path d="' + d + '" fill="none" stroke="' + l.color + '" stroke-width="2"' + (l.dashed ? ' stroke-dasharray="6,4"' : "") + "/>";
  }
  svg += "</svg>";
  const legend = '<div class="legend">' + lines.map(l => '<span><i style="background:' + l.color + '"></i>' + esc(l.label) + "</span>").join("") + "</div>";
  return legend + svg;
}

function renderModels() {
  const models = new Set();
  for (const s of store.series.values()) if ((s.name === "tideline_monitor_accuracy" || s.name === "tideline_monitor_metric") && s.labels.model) models.add(s.labels.model);
  if (!models.size) return;
  let html = "";
  for (const model of [...models].sort()) {
    const lines = [];
    let c = 0;
    const overall = find("tideline_monitor_metric", { model: model, input: "examples", metric: "accuracy" });
    for (const s of overall) lines.push({ label: "accuracy (labeled windows)", values: s.values, color: COLORS[c++ % COLORS.length] });
    const est = find("tideline_monitor_metric", { model: model, input: "predictions", metric: "estimated_accuracy" });
    for (const s of est) lines.push({ label: "estimated accuracy (before labels)", values: s.values, color: "#8a96a8", dashed: true });
    const markers = [];
    for (const v of store.events.versions) if (v.model === model && v.decision === "promoted") markers.push({ t: v.createdAt, label: v.version, color: "#58a6ff" });
    for (const i of store.events.incidents) if (i.model === model) markers.push({ t: i.firstSeen, label: i.kind + ":" + i.subject, color: "#f85149" });
    const other = find("tideline_monitor_metric", { model: model, input: "examples" }).filter(s => ["auc", "log_loss", "f1"].includes(s.labels.metric));
    html += "<h3>" + esc(model) + "</h3>" + chart(lines, { min: 0, max: 1, markers: markers });
    // Per version and variant: the accuracy of the last window in which each served traffic (a gauge keeps its
    // last value, so these are listed rather than drawn as lines that would look flat after a version retires).
    const byVersion = find("tideline_monitor_accuracy", { model: model }).map(s => ({ s: s, last: lastIndex(s) }))
      .filter(v => v.last >= 0).sort((a, b) => b.last - a.last).slice(0, 6);
    const legend = other.map(s => "<span>" + esc(s.labels.metric) + " " + fmt(latest(s)) + "</span>")
      .concat(byVersion.map(v => "<span>accuracy of " + esc(v.s.labels.version) + (v.s.labels.variant && v.s.labels.variant !== "-" ? "/" + esc(v.s.labels.variant) : "") +
        " (last window it served) " + fmt(latest(v.s)) + "</span>"));
    if (legend.length) html += '<div class="legend">' + legend.join("") + "</div>";
  }
  document.getElementById("model-charts").innerHTML = html;
}
function lastIndex(s) { for (let i = s.values.length - 1; i >= 0; i--) if (s.values[i] !== null) return i; return -1; }

function renderDrift() {
  const stats = find("tideline_monitor_drift_statistic");
  if (!stats.length) return;
  const byModel = new Map();
  for (const s of stats) { if (!byModel.has(s.labels.model)) byModel.set(s.labels.model, []); byModel.get(s.labels.model).push(s); }
  let html = "";
  for (const [model, list] of [...byModel.entries()].sort()) {
    html += "<h3>" + esc(model) + '</h3><table><thead><tr><th>feature</th><th>test</th><th class="num">statistic</th><th class="num">threshold</th><th class="num">p-value</th><th>against threshold</th><th>over time</th></tr></thead><tbody>';
    list.sort((a, b) => a.labels.feature.localeCompare(b.labels.feature));
    for (const s of list) {
      const match = { model: model, feature: s.labels.feature, test: s.labels.test };
      const th = find("tideline_monitor_drift_threshold", match)[0], p = find("tideline_monitor_drift_p_value", match)[0];
      const v = latest(s), t = th ? latest(th) : null, pv = p ? latest(p) : null;
      const over = v !== null && t !== null && v >= t;
      const scale = Math.max(v || 0, (t || 0) * 2, 1e-9);
      html += '<tr data-feature="' + esc(s.labels.feature) + '"><td>' + esc(s.labels.feature) + "</td><td>" + esc(s.labels.test) + '</td><td class="num">' + fmt(v) +
        '</td><td class="num">' + fmt(t) + '</td><td class="num">' + (pv === null ? "–" : pv < 1e-4 ? pv.toExponential(1) : fmt(pv, 4)) + "</td><td>" +
        '<div class="bar"><span style="width:' + (100 * Math.min(1, (v || 0) / scale)).toFixed(1) + "%;background:" + (over ? "var(--bad)" : "var(--ok)") + '"></span>' +
        '<b style="left:' + (100 * Math.min(1, (t || 0) / scale)).toFixed(1) + '%"></b></div> <span class="badge ' + (over ? "over" : "under") + '">' + (over ? "over" : "under") + "</span></td><td>" +
        sparkline(s.values, t) + "</td></tr>";
    }
    html += "</tbody></table>";
  }
  document.getElementById("drift").innerHTML = html;
}
function sparkline(values, threshold) {
  const pts = values.map((v, i) => [i, v]).filter(p => p[1] !== null);
  if (pts.length < 2) return "";
  const hi = Math.max(...pts.map(p => p[1]), threshold || 0, 1e-9), n = values.length - 1 || 1;
  const d = pts.map((p, j) => (j ? "L" : "M") + (120 * p[0] / n).toFixed(1) + "," + (22 - 20 * p[1] / hi).toFixed(1)).join("");
  const ty = threshold ? (22 - 20 * threshold / hi).toFixed(1) : null;
  return '<svg viewBox="0 0 120 24" style="width:120px;height:24px">' + (ty ? '<line x1="0" x2="120" y1="' + ty + '" y2="' + ty + '" stroke="#d29922" stroke-dasharray="2,2"/>' : "") +
    '<path d="' + d + '" fill="none" stroke="#58a6ff" stroke-width="1.5"/></svg>';
}

function renderIncidents() {
  const list = store.events.incidents;
  if (!list.length) return;
  const open = list.filter(i => i.status === "firing").length;
  let html = '<div class="kpis"><div class="kpi"><div class="v">' + open + '</div><div class="l">open</div></div><div class="kpi"><div class="v">' + (list.length - open) + '</div><div class="l">resolved (recent)</div></div></div>';
  for (const i of list.slice(0, 30)) {
    html += '<div class="incident ' + esc(i.status) + '" data-alert-id="' + esc(i.alertID) + '" data-kind="' + esc(i.kind) + '" data-status="' + esc(i.status) + '">' +
      '<span class="badge ' + esc(i.status) + '">' + esc(i.status) + '</span> <span class="badge ' + esc(i.severity) + '">' + esc(i.severity) + "</span> <b>" + esc(i.kind) + "</b> " +
      esc(i.model) + " / " + esc(i.subject) + ' <span class="muted">· first ' + clock(i.firstSeen) + " · last " + clock(i.lastSeen) + " · " + i.occurrences + " window(s) · " + esc(i.alertID.slice(0, 12)) + "</span>" +
      '<div class="desc">' + esc(i.description) + "</div></div>";
  }
  document.getElementById("incidents").innerHTML = html;
}

function renderVersions() {
  const list = store.events.versions;
  if (!list.length) return;
  let html = '<table><thead><tr><th>created (event time)</th><th>model</th><th>version</th><th>from</th><th>kind</th><th>trigger</th><th>decision</th><th>candidate vs champion</th><th class="num">examples</th><th>reason</th></tr></thead><tbody>';
  for (const v of list.slice().reverse().slice(0, 40)) {
    const shared = Object.keys(v.candidate || {}).filter(n => (v.champion || {})[n] !== undefined);
    const names = (shared.length ? shared : Object.keys(v.candidate || {})).sort().slice(0, 3);
    const metrics = names.map(n => esc(n) + " " + fmt(v.candidate[n]) + " vs " + fmt((v.champion || {})[n])).join("<br>");
    html += '<tr data-model="' + esc(v.model) + '" data-version="' + esc(v.version) + '" data-decision="' + esc(v.decision) + '"><td>' + clock(v.createdAt) + "</td><td>" + esc(v.model) +
      "</td><td><b>" + esc(v.version) + "</b></td><td>" + esc(v.parentVersion || "–") + "</td><td>" + esc(v.kind) + "</td><td>" + esc(v.trigger) +
      '</td><td><span class="badge ' + esc(v.decision) + '">' + esc(v.decision) + "</span></td><td>" + (metrics || "–") + '</td><td class="num">' + fmt(v.exampleCount, 0) +
      '</td><td class="muted">' + esc(v.reason || "") + "</td></tr>";
  }
  html += "</tbody></table>";
  document.getElementById("versions").innerHTML = html;
}

function renderPipeline() {
  const inputs = find("tideline_stage_input_records_total");
  if (!inputs.length && !find("tideline_kafka_consumer_lag_messages").length) return;
  const stages = [...new Set(inputs.map(s => s.labels.stage))].sort();
  let html = '<table><thead><tr><th>stage</th><th class="num">in / s</th><th class="num">out / s</th><th class="num">batch time (avg, ms)</th><th class="num">record age (avg, s)</th><th class="num">dead letters</th><th class="num">consumer lag</th></tr></thead><tbody>';
  const lines = [];
  let c = 0;
  for (const stage of stages) {
    const inRate = rate(inputs.find(s => s.labels.stage === stage));
    const outRate = sumSeries(find("tideline_stage_output_records_total", { stage: stage }).map(s => ({ values: rate(s) })));
    const avg = (name) => {
      const sum = find(name + "_sum", { stage: stage })[0], count = find(name + "_count", { stage: stage })[0];
      if (!sum || !count) return null;
      const n = sum.values.length, i = Math.max(0, n - 6);
      const ds = (latest(sum) || 0) - (sum.values[i] || 0), dc = (latest(count) || 0) - (count.values[i] || 0);
      return dc > 0 ? ds / dc : null;
    };
    const dead = find("tideline_dead_letters_total", { stage: stage }).reduce((a, s) => a + (latest(s) || 0), 0);
    const lag = find("tideline_kafka_consumer_lag_messages", { group: store.groups[stage] || "" }).reduce((a, s) => a + (latest(s) || 0), 0);
    html += '<tr data-stage="' + esc(stage) + '"><td>' + esc(stage) + '</td><td class="num">' + fmt(lastOf(inRate), 0) + '</td><td class="num">' + fmt(lastOf(outRate), 0) +
      '</td><td class="num">' + fmt(avg("tideline_stage_batch_duration_seconds") === null ? null : avg("tideline_stage_batch_duration_seconds") * 1000, 2) +
      '</td><td class="num">' + fmt(avg("tideline_stage_record_age_seconds"), 2) + '</td><td class="num">' + fmt(dead, 0) + '</td><td class="num">' + fmt(lag, 0) + "</td></tr>";
    lines.push({ label: stage + " in/s", values: inRate, color: COLORS[c++ % COLORS.length] });
  }
  html += "</tbody></table>";
  html += "<h3>Throughput (records/s in)</h3>" + chart(lines, { min: 0, height: 140 });
  const kpis = [];
  const g = (name, match) => { const s = find(name, match || {}); return s.length ? s.reduce((a, x) => a + (latest(x) || 0), 0) : null; };
  if (g("tideline_join_open_predictions") !== null) {
    kpis.push(["open predictions", fmt(g("tideline_join_open_predictions"), 0)], ["pending bytes", fmt(g("tideline_join_pending_bytes"), 0)],
              ["oldest pending", fmt((g("tideline_join_oldest_pending_age_ms") || 0) / 1000, 1) + " s"]);
    const comp = find("tideline_join_label_completeness", { within_ms: "5000" })[0];
    if (comp) kpis.push(["labels within 5 s", fmt(100 * (latest(comp) || 0), 1) + " %"]);
    const implicit = find("tideline_join_examples_total", { kind: "implicit" })[0];
    if (implicit) kpis.push(["implicit negatives / s", fmt(lastOf(rate(implicit)), 1)]);
  }
  for (const s of find("tideline_train_rows_per_second")) kpis.push(["train rows/s " + s.labels.model, fmt(latest(s), 0)]);
  for (const s of find("tideline_train_examples_since_update")) kpis.push(["since update " + s.labels.model, fmt(latest(s), 0)]);
  for (const s of find("tideline_train_champion_age_seconds")) kpis.push(["champion age " + s.labels.model, fmt(latest(s), 0) + " s"]);
  for (const s of find("tideline_monitor_open_incidents")) kpis.push(["open incidents " + s.labels.model, fmt(latest(s), 0)]);
  if (kpis.length) html = '<div class="kpis">' + kpis.map(k => '<div class="kpi"><div class="v">' + k[1] + '</div><div class="l">' + esc(k[0]) + "</div></div>").join("") + "</div>" + html;
  const lags = find("tideline_kafka_consumer_lag_messages").filter(s => (latest(s) || 0) > 0)
    .sort((a, b) => (latest(b) || 0) - (latest(a) || 0)).slice(0, 12);
  html += "<h3>Consumer lag per partition (largest)</h3>" + (lags.length ? "<table><tbody>" + lags.map(s => "<tr><td>" + esc(s.labels.group) + "</td><td>" + esc(s.labels.topic) + "[" + esc(s.labels.partition) + ']</td><td class="num">' + fmt(latest(s), 0) + "</td></tr>").join("") + "</tbody></table>" : '<div class="empty">No partition lags.</div>');
  document.getElementById("pipeline").innerHTML = html;
}

async function getJSON(url) {
  const r = await fetch(url, { cache: "no-store" });
  if (!r.ok) throw new Error(url + ": HTTP " + r.status);
  return r.json();
}
async function tick() {
  try {
    if (!store.statusRead) { const st = await getJSON("/api/status"); store.groups = st.stageGroups || {}; store.statusRead = true; }
    const [win, events] = await Promise.all([getJSON("/api/metrics" + (store.last ? "?after=" + store.last : "")), getJSON("/api/events")]);
    merge(win);
    store.events = events;
    const ready = await fetch("/readyz", { cache: "no-store" }).then(r => r.ok).catch(() => false);
    const pill = document.getElementById("ready");
    pill.textContent = ready ? "ready" : "not ready";
    pill.className = "pill " + (ready ? "ok" : "warn");
    document.getElementById("updated").textContent = "updated " + clock(Date.now());
    renderModels(); renderDrift(); renderIncidents(); renderVersions(); renderPipeline();
  } catch (e) {
    const pill = document.getElementById("ready");
    pill.textContent = "disconnected";
    pill.className = "pill bad";
    console.warn("tideline dashboard: " + e.message);
  }
}
tick();
setInterval(tick, INTERVAL);
</script>
</body>
</html>
"""#
}
