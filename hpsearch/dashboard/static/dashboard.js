// The study page: draws its tables from /api/study/NAME and polls it every few
// seconds; when an epoch or a status has changed it sends "study-changed", on which
// explore.js fetches the charts' data again. Every name and value goes into the page as text
// (textContent), never as markup.
"use strict";

const POLL_MS = 2000;
// The running trials' columns; the study's searched parameters go after the number.
const RUNNING_HEAD = ["round", "trial", "number"];
const RUNNING_TAIL = ["last_epoch", "last_val_accuracy", "last_train_accuracy", "val_curve",
  "started_at", "worker"];
// A training function's running trials: its metric at the last report, and its curve.
const METRIC_TAIL = ["last_epoch", "last_value", "curve", "started_at", "worker"];
// The headers people read (other keys: their words, "_" as spaces).
const LABELS = {
  last_epoch: "epoch", last_val_accuracy: "val acc", last_train_accuracy: "train acc",
  val_curve: "validation curve", val_accuracy: "val acc", best_val_accuracy: "best val acc",
  train_accuracy: "train acc", test_accuracy: "test acc", other_domains: "other domains",
  narrowed_from: "narrowed from", epochs_run: "epochs", started_at: "started",
  created_at: "created", train_samples: "train samples", test_samples: "test samples",
};
const SVG = "http://www.w3.org/2000/svg";
// A training function's values, written as report writes its metric.
const METRIC_KEYS = new Set(["value", "best_value", "last_value"]);
const EVALUATIONS = ["trial", "lr", "weight_decay", "epochs", "train_samples", "test_samples",
  "train_accuracy", "test_accuracy", "status", "seconds", "created_at"];

// A line of `values` (accuracies, 0 to 1; other values between their least and most)
// in an SVG of width x height, drawn with presentation attributes only (the page's
// policy allows no inline style).
function sparkline(values, width, height, bounded = true) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("class", "sparkline");
  const n = Math.max(values.length - 1, 1);
  const low = bounded ? 0 : Math.min(...values), span = bounded ? 1 : Math.max(...values) - low;
  const up = (v) => (span > 0 ? (v - low) / span : 0.5);
  const points = values.map((v, i) =>
    `${(i / n) * (width - 2) + 1},${(1 - up(v)) * (height - 2) + 1}`);
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", points.join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "#1f77b4");
  line.setAttribute("stroke-width", "1.5");
  svg.appendChild(line);
  return svg;
}

// A value as the command line's tables write it (numbers.js): an accuracy to 4
// decimals, a log-scale parameter as 2.47e-3, seconds to 1 decimal, another float to
// 3 significant digits.
function fmt(value, key) {
  const { formatNumber } = window.hpsearchNumbers;
  if (typeof value !== "number") return formatNumber(value, "text");
  if (METRIC_KEYS.has(key)) return formatNumber(value, "metric");
  if (key === "lr" || key.startsWith("weight_decay")) return formatNumber(value, "scientific");
  if (key.endsWith("accuracy")) return formatNumber(value, "accuracy");
  if (key === "seconds" || key === "epoch_seconds") return formatNumber(value, "seconds");
  return Number.isInteger(value) ? String(value) : formatNumber(value, "significant");
}

function header(key) {
  return LABELS[key] || key.replaceAll("_", " ");
}

function duration(seconds) {
  if (seconds === null) return "-";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h ? `${h} h ${m} min` : m ? `${m} min ${s % 60} s` : `${s} s`;
}

// A trial's settings and outcome, for a row's tooltip: every column up to the status.
function settings(row) {
  const keys = Object.keys(row);
  const end = keys.indexOf("epochs_run");
  return keys.slice(0, end < 0 ? keys.length : end).concat(["val_accuracy"])
    .filter((k) => k !== "val_curve").map((k) => `${k}: ${fmt(row[k], k)}`).join("\n");
}

// An element with text (never markup: a stored name is shown as it is written).
function element(tag, text, className) {
  const node = document.createElement(tag);
  node.textContent = text;
  if (className) node.className = className;
  return node;
}

// Fill a table with columns and rows; a row links to its trial when `link` is given;
// `labels` heads columns of their own (a function's metric).
function fill(table, columns, rows, link, labels = {}) {
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const c of columns) head.appendChild(element("th", labels[c] || header(c))).dataset.key = c;
  const body = table.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const c of columns) {
      const td = tr.insertCell();
      if (c === "val_curve" || c === "curve") {
        td.appendChild(sparkline(row[c] || [], 120, 24, c === "val_curve" || labels.bounded));
        td.dataset.epochs = (row[c] || []).length;
        continue;
      }
      td.textContent = fmt(row[c], c);
      if (typeof row[c] === "number") td.className = "num";
    }
    if (link) {
      tr.dataset.trial = row.trial;
      tr.title = settings(row);
      tr.addEventListener("click", () => { window.location = link + row.trial; });
    }
  }
}

function card(label, value) {
  const node = element("div", label, "card");
  node.dataset.key = label;
  node.appendChild(element("b", value));
  return node;
}

function drawRounds(table, rounds) {
  const rows = rounds.map((r) => ({
    round: r.round,
    lr: r.lr ? `${fmt(r.lr[0], "lr")} – ${fmt(r.lr[1], "lr")}` : "-",
    weight_decay: r.weight_decay
      ? `${fmt(r.weight_decay[0], "lr")} – ${fmt(r.weight_decay[1], "lr")}` : "-",
    other_domains: Object.entries(r.domains || {}).map(([n, d]) => `${n} ${d}`).join("; ") || "-",
    narrowed_from: r.narrowed_from === null ? "-" : `round ${r.narrowed_from} (top ${r.top_k})`,
    trials: r.trials,
    statuses: Object.entries(r.statuses).map(([s, n]) => `${s} ${n}`).join(", "),
    best_val_accuracy: r.best_val_accuracy,
    best_value: r.best_value,
  }));
  const metric = rounds.length ? rounds[0].metric : undefined; // a training function's
  // lr and weight decay as ranges where searched (a function's own parameters need not be)
  const ranges = ["lr", "weight_decay"].filter((k) => rounds.some((r) => r[k]));
  fill(table, ["round", ...ranges, "other_domains", "narrowed_from", "trials",
    "statuses", metric ? "best_value" : "best_val_accuracy"], rows, null,
  metric ? { best_value: `best ${metric.replaceAll("_", " ")}` } : {});
}

// What the command line warns about, where it applies: the range edges the best trials
// crowd; what narrowing left behind (the choices it dropped, the parameters it kept out,
// as `narrow` prints them); the trials pruned, diverged or failed.
function warn(data) {
  const notes = [];
  const crowded = data.crowded;
  if (crowded) {
    const edges = Object.entries(crowded.edges).map(([n, sides]) => `${n} (${sides.join(", ")})`);
    notes.push(["crowded", `The top ${crowded.top_k} of round ${crowded.round} crowd an edge ` +
      `of ${edges.join("; ")}: the best values may lie outside the range searched.`]);
  }
  for (const n of data.narrowed || []) {
    const where = `Round ${n.round} (narrowed from round ${n.narrowed_from}, top ${n.top_k})`;
    for (const [name, gone] of Object.entries(n.dropped)) {
      notes.push(["dropped", `${where}: ${name}: dropped ${gone.join(", ")} ` +
        `(not among the top-${n.top_k}).`]);
    }
    for (const [name, why] of Object.entries(n.kept_out)) {
      notes.push(["kept-out", `${where}: ${name} kept out: ${why}.`]);
    }
  }
  for (const status of ["pruned", "diverged", "failed"]) {
    const n = data.statuses[status];
    if (n) notes.push([status, `${n} trial${n === 1 ? "" : "s"} ${status}.`]);
  }
  const box = document.getElementById("warnings");
  box.replaceChildren(...notes.map(([kind, text]) => {
    const node = element("p", text, "warning");
    node.dataset.kind = kind;
    return node;
  }));
}

function start(root) {
  const api = root.dataset.api, link = root.dataset.trial;
  let version = null;
  async function poll() {
    try {
      const response = await fetch(api, { cache: "no-store" });
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      const data = await response.json();
      const p = data.progress, scoring = data.scoring;
      document.getElementById("progress").replaceChildren(card("done", p.done),
        card("running", p.running), card("pending", p.pending),
        card("epochs stored", p.epochs_stored), card("epochs left", p.epochs_left),
        card("ETA", p.running ? duration(p.eta_seconds) : "no worker running"),
        scoring ? card(`best ${scoring.label}`, fmt(data.leaderboard.length
          ? data.leaderboard[0].value : null, "value"))
          : card("best val acc", fmt(data.leaderboard.length ? data.leaderboard[0].val_accuracy
            : null, "val_accuracy")));
      drawRounds(document.getElementById("rounds"), data.rounds);
      fill(document.getElementById("running"), [...RUNNING_HEAD, ...data.searched,
        ...(scoring ? METRIC_TAIL : RUNNING_TAIL)], data.running, link, scoring ? {
        last_value: scoring.label, curve: `${scoring.label} curve`, bounded: scoring.bounded,
      } : {});
      fill(document.getElementById("evaluations"), EVALUATIONS, data.evaluations, null);
      warn(data);
      if (data.version !== version) {
        version = data.version;
        document.dispatchEvent(new CustomEvent("study-changed", { detail: version }));
      }
      document.getElementById("updated").textContent =
        `updated ${new Date().toLocaleTimeString()} (every ${POLL_MS / 1000} s)`;
    } catch (error) {
      document.getElementById("updated").textContent = `cannot update: ${error.message}`;
    }
    setTimeout(poll, POLL_MS);
  }
  poll();
}

// Poll `api` every POLL_MS and hand its JSON to `draw`; the note `updated` says when.
function polling(api, draw, updated) {
  async function poll() {
    try {
      const response = await fetch(api, { cache: "no-store" });
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      draw(await response.json());
      if (updated) updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (error) {
      if (updated) updated.textContent = `cannot update: ${error.message}`;
    }
    setTimeout(poll, POLL_MS);
  }
  poll();
}

// The trial page: its values, epochs and curves (ECharts: validation and train accuracy
// by epoch), redrawn from its JSON while it runs.
function startTrial(root) {
  const columns = JSON.parse(root.dataset.columns);
  const curve = document.getElementById("curve");
  const chart = window.echarts.init(curve);
  polling(root.dataset.api, (data) => {
    for (const td of document.querySelectorAll("#settings td[data-key]")) {
      td.textContent = fmt(data[td.dataset.key], td.dataset.key);
    }
    const own = data.scoring; // a training function's: its metric and train_ counterpart
    const keys = own ? ["epoch", ...data.metrics] : columns;
    fill(document.getElementById("epochs"), keys, data.epochs, null);
    const line = (key, name) => ({ type: "line", name, symbolSize: 4,
      data: data.epochs.filter((e) => e[key] !== undefined).map((e) => [e.epoch, e[key]]) });
    const train = own ? `train_${own.metric.replace(/^val_/, "")}` : null;
    chart.setOption({
      animation: false, legend: { top: 0 }, tooltip: { trigger: "axis" },
      grid: { left: 60, right: 30, top: 40, bottom: 50 },
      xAxis: { type: "value", name: "epoch", nameLocation: "middle", nameGap: 28, min: 1,
        max: Math.max(data.epochs.length, 1), minInterval: 1 },
      yAxis: own ? { type: "value", name: own.label, ...(own.bounded ? { min: 0, max: 1 }
        : { scale: true }) } : { type: "value", name: "accuracy", min: 0, max: 1 },
      series: own ? [line(own.metric, own.label),
        ...(train !== own.metric && data.metrics.includes(train)
          ? [line(train, train.replaceAll("_", " "))] : [])]
        : [line("val_accuracy", "validation"), line("train_accuracy", "train")],
    }, true);
    curve.dataset.epochs = data.epochs.length;
  }, document.getElementById("updated"));
}

// The studies page: its table redrawn from /api/studies (new studies appear).
function startStudies(root) {
  polling(root.dataset.api, (rows) => {
    const table = document.getElementById("studies");
    const statuses = rows.length ? Object.keys(rows[0].statuses) : [];
    table.replaceChildren();
    const head = table.createTHead().insertRow();
    const functions = rows.some((s) => s.metric !== undefined); // a training function's
    for (const c of ["", "study", "created", "rounds", "trials", ...statuses,
      functions ? "best" : "best val acc", "evaluations"]) head.appendChild(element("th", c));
    const body = table.createTBody();
    for (const s of rows) {
      const tr = body.insertRow();
      tr.dataset.study = s.name;
      const box = document.createElement("input");
      box.type = "checkbox";
      box.name = "study";
      box.value = s.name;
      tr.insertCell().appendChild(box);
      const a = element("a", s.name);
      a.href = s.url;
      tr.insertCell().appendChild(a);
      tr.insertCell().textContent = s.created_at;
      for (const v of [s.rounds, s.trials, ...Object.values(s.statuses)]) {
        tr.appendChild(element("td", String(v), "num")).dataset.key = "count";
      }
      tr.appendChild(element("td", s.metric === undefined
        ? fmt(s.best_val_accuracy, "val_accuracy")
        : `${fmt(s.best_value, "value")} ${s.metric.replaceAll("_", " ")}`, "num"));
      tr.appendChild(element("td", String(s.evaluations), "num"));
    }
    document.getElementById("none").hidden = rows.length > 0;
  }, document.getElementById("updated"));
}

const root = document.getElementById("study");
if (root) start(root);
const trialRoot = document.getElementById("trial");
if (trialRoot) startTrial(trialRoot);
const studiesRoot = document.getElementById("studies-root");
if (studiesRoot) startStudies(studiesRoot);
