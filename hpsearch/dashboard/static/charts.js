// The study page's interactive charts, drawn by the vendored Apache ECharts from the
// JSON API: history (best so far, rounds shaded), every curve (hover names the trial),
// parallel coordinates of the searched parameters (a brush on an axis filters the
// leaderboard), a slice per parameter, a scatter of any two with each round's domain,
// and the importance. Tooltips are built as DOM text, never markup.
"use strict";

const SHADES = ["rgba(31,119,180,0.07)", "rgba(255,127,14,0.09)"];
// What the trials are scored by: the book network's validation accuracy unless the JSON
// says otherwise (a training function's metric, under "scoring").
const BOOK_SCORING = { metric: "val_accuracy", label: "val acc", direction: "maximize",
  bounded: true, book: true };
const LIGHT_TO_DARK = ["#d0e0f0", "#08306b"];

function scoringOf(data) {
  return data.scoring || BOOK_SCORING;
}

// The score's axis: [0, 1] for an accuracy, else the data's own range.
function scoreAxis(scoring) {
  return scoring.bounded ? { min: 0, max: 1 } : { scale: true };
}

// The score's colours on dimension `dim`: the better the darker, so a minimised
// metric's scale runs the other way.
function scoreColours(scoring, scores, dim, show) {
  const [low, high] = scoreRange(scoring, scores);
  return { type: "continuous", dimension: dim, min: low, max: high, right: 0,
    calculable: false, show, inRange: { color: scoring.direction === "minimize"
      ? [...LIGHT_TO_DARK].reverse() : LIGHT_TO_DARK } };
}

function scoreText(scoring, value) {
  if (value === null || value === undefined) return "-";
  return window.hpsearchNumbers.formatNumber(Number(value), scoring.book ? "accuracy" : "metric");
}

// The lowest and highest score of the trials drawn, [0, 1] for an accuracy.
function scoreRange(scoring, scores) {
  if (scoring.bounded) return [0, 1];
  const known = scores.filter((v) => v !== null && Number.isFinite(v));
  if (!known.length) return [0, 1];
  const low = Math.min(...known), high = Math.max(...known);
  return low === high ? [low - 1, high + 1] : [low, high];
}

function chartOf(id) {
  const node = document.getElementById(id);
  return window.echarts.getInstanceByDom(node) || window.echarts.init(node);
}

function axisType(data, name) {
  const f = data.formats[name];
  if (f === "text") return "category";
  return f === "scientific" ? "log" : "value";
}

function choices(data, name) {
  const seen = new Set();
  for (const round of data.rounds) for (const c of round.domains[name]?.choices || []) seen.add(c);
  return [...seen];
}

function textTip(lines) {
  const box = document.createElement("div");
  for (const line of lines) box.appendChild(document.createElement("div")).textContent = line;
  return box;
}

// The best score so far of every trial (data.history, where it rises), each round shaded,
// and the trials the charts draw as points at their place in round order.
function drawHistory(data) {
  const c = data.columns, h = data.history, n = h.trials, points = [], own = scoringOf(data);
  const best = h.best.slice();
  if (best.length && best[best.length - 1][0] < n) best.push([n, best[best.length - 1][1]]);
  for (let i = 0; i < c.trial.length; i++) {
    if (c.score[i] !== null) points.push([c.index[i], c.score[i], c.trial[i]]);
  }
  const areas = h.rounds.map(([round, first, last]) => [{ xAxis: first - 0.5,
    name: `round ${round}`, itemStyle: { color: SHADES[round % 2] } }, { xAxis: last + 0.5 }]);
  chartOf("chart-history").setOption({
    animation: false, tooltip: { trigger: "item", formatter: (p) =>
      textTip([`trial ${p.data[2] ?? ""}`, `${own.book ? "score" : own.label} ` +
        scoreText(own, p.data[1])]) },
    xAxis: { type: "value", name: "trial (in round order)", nameLocation: "middle",
      nameGap: 28, min: 0.5, max: n + 0.5,
      axisLabel: { formatter: (v) => (Number.isInteger(v) ? String(v) : "") } },
    yAxis: { type: "value", name: own.book ? "validation accuracy" : own.label,
      ...scoreAxis(own) },
    series: [
      { type: "scatter", name: "trial", data: points, symbolSize: 4, large: true },
      { type: "line", name: "best so far", step: "end", data: best, showSymbol: false,
        markArea: { silent: true, label: { position: "insideTop" }, data: areas } },
    ],
  }, true);
}

// Each trial's curve: the book network's validation accuracy, or a function's metric
// (with its train_ counterpart dotted, where reported); a running trial's dashed.
function drawCurves(curves) {
  const readout = document.getElementById("curves-hover");
  const chart = chartOf("chart-curves"), own = scoringOf(curves);
  const said = (p) => `epoch ${p.data[0]}: ${p.data[2] ? "train " : ""}` +
    `${own.book ? "val acc" : own.label} ${scoreText(own, p.data[1])}`;
  const line = (t, values, train) => ({
    type: "line", name: String(t.trial), showSymbol: true, symbolSize: 3,
    emphasis: { focus: "series" },
    lineStyle: { type: train ? "dotted" : t.status === "running" ? "dashed" : "solid",
      width: 1.2 },
    data: values.map((v, i) => [i + 1, v, train]),
  });
  const series = [];
  for (const t of curves.curves) {
    series.push(line(t, own.book ? t.val_accuracy : t.values, false));
    if (!own.book && t.train.length) series.push(line(t, t.train, true));
  }
  chart.setOption({
    animation: false,
    tooltip: { trigger: "item", formatter: (p) => textTip([`trial ${p.seriesName}`, said(p)]) },
    xAxis: { type: "value", name: "epoch", min: 1, max: Math.max(curves.epochs, 1) },
    yAxis: { type: "value", name: own.book ? "validation accuracy" : own.label,
      ...scoreAxis(own) },
    series,
  }, true);
  chart.off("mouseover");
  chart.on("mouseover", (p) => {
    readout.textContent = `trial ${p.seriesName}, ${said(p)}`;
    readout.dataset.trial = p.seriesName;
  });
}

// Parallel coordinates of the searched parameters and the score. A brush on an axis
// hands onSelect what it keeps, {column: [[low, high], ...]} (a choice's axis: the
// values kept), or null when nothing is brushed; `brush` (the same form) is drawn again.
function drawParallel(data, onSelect, brush) {
  const c = data.columns, names = [...data.parameters, "score"], rows = [];
  const own = scoringOf(data), [low, high] = scoreRange(own, c.score);
  for (let i = 0; i < c.trial.length; i++) {
    if (c.score[i] === null || c.status[i] === "running") continue;
    rows.push(names.map((n) => c[n][i]));
  }
  const order = (name) => (axisType(data, name) === "category" ? choices(data, name) : null);
  const chart = chartOf("chart-parallel");
  chart.off("axisareaselected");
  chart.setOption({
    animation: false,
    parallel: { left: 60, right: 90, top: 40, bottom: 30 },
    parallelAxis: names.map((n, dim) => ({
      dim, id: `axis-${dim}`, name: data.headers[n], realtime: false, // asks once per brush
      type: n === "score" ? "value" : axisType(data, n), data: order(n) || undefined,
      ...(n === "score" ? { min: low, max: high } : {}), // a brush's place stays as trials come
    })),
    visualMap: scoreColours(own, c.score, names.length - 1, true),
    series: [{ type: "parallel", data: rows, lineStyle: { width: 1, opacity: 0.5 },
      inactiveOpacity: 0.03, activeOpacity: 0.8, progressive: 2000, smooth: false }],
  }, true);
  for (const [name, kept] of Object.entries(brush || {})) { // the brush drawn again
    const dim = names.indexOf(name);
    if (dim < 0) continue;
    const values = order(name);
    const intervals = values ? kept.map((v) => values.indexOf(String(v))).filter((i) => i >= 0)
      .map((i) => [i, i]) : kept;
    chart.dispatchAction({ type: "axisAreaSelect", parallelAxisId: `axis-${dim}`, intervals });
  }
  if (brush) chart.resize(); // draws the restored intervals' areas (an action does not)
  // What the brush keeps: the axes' intervals in data units, a choice's as its index.
  chart.on("axisareaselected", () => {
    const kept = {};
    names.forEach((name, dim) => {
      const intervals = chart.getModel().getComponent("parallelAxis", dim).activeIntervals;
      if (!intervals || !intervals.length) return;
      const values = order(name);
      kept[name] = values
        ? values.filter((_, i) => intervals.some(([lo, hi]) => i >= lo && i <= hi))
        : intervals.map(([lo, hi]) => [lo, hi]);
    });
    onSelect(Object.keys(kept).length ? kept : null);
  });
  window.hpsearchCharts.parallelNames = names;
}

function drawSlices(data) {
  const root = document.getElementById("slices"), c = data.columns, own = scoringOf(data);
  for (const name of data.parameters) {
    let node = root.querySelector(`div[data-key="${CSS.escape(name)}"]`);
    if (!node) {
      node = root.appendChild(document.createElement("div"));
      node.className = "slice";
      node.dataset.key = name;
    }
    const points = [];
    for (let i = 0; i < c.trial.length; i++) {
      if (c.score[i] !== null && c[name][i] !== null) points.push([c[name][i], c.score[i], c.trial[i]]);
    }
    const chart = window.echarts.getInstanceByDom(node) || window.echarts.init(node);
    chart.setOption({
      animation: false, title: { text: data.headers[name], textStyle: { fontSize: 12 } },
      tooltip: { trigger: "item", formatter: (p) => textTip([`trial ${p.data[2]}`,
        `${data.headers[name]} ${p.data[0]}`, `score ${scoreText(own, p.data[1])}`]) },
      xAxis: { type: axisType(data, name), data: axisType(data, name) === "category"
        ? choices(data, name) : undefined, scale: true },
      yAxis: { type: "value", ...scoreAxis(own) },
      // a function's metric coloured as on the parallel coordinates: the better the darker
      ...(own.book ? {} : { visualMap: scoreColours(own, c.score, 1, false) }),
      series: [{ type: "scatter", data: points, symbolSize: 4, large: true }],
    }, true);
  }
}

function drawScatter(data) {
  const x = document.getElementById("scatter-x").value, y = document.getElementById("scatter-y").value;
  const c = data.columns, series = [], own = scoringOf(data);
  for (const round of data.rounds) {
    const points = [];
    for (let i = 0; i < c.trial.length; i++) {
      if (c.round[i] === round.round && c[x][i] !== null && c[y][i] !== null) {
        points.push([c[x][i], c[y][i], c.trial[i], c.score[i]]);
      }
    }
    const dx = round.domains[x], dy = round.domains[y];
    const box = dx && dy && dx.low !== null && dy.low !== null
      ? [[{ coord: [dx.low, dy.low] }, { coord: [dx.high, dy.high] }]] : [];
    series.push({ type: "scatter", name: `round ${round.round}`, data: points, symbolSize: 5,
      markArea: { silent: true, itemStyle: { opacity: 0.12 }, data: box } });
  }
  chartOf("chart-scatter").setOption({
    animation: false, legend: {},
    tooltip: { trigger: "item", formatter: (p) => textTip([`trial ${p.data[2]} (${p.seriesName})`,
      `${data.headers[x]} ${p.data[0]}`, `${data.headers[y]} ${p.data[1]}`,
      `score ${scoreText(own, p.data[3])}`]) },
    xAxis: { type: axisType(data, x), name: data.headers[x], scale: true,
      data: axisType(data, x) === "category" ? choices(data, x) : undefined },
    yAxis: { type: axisType(data, y), name: data.headers[y], scale: true,
      data: axisType(data, y) === "category" ? choices(data, y) : undefined },
    series,
  }, true);
}

function fillAxes(data, redraw) {
  const xs = document.getElementById("scatter-x"), ys = document.getElementById("scatter-y");
  if (xs.options.length) return;
  for (const select of [xs, ys]) {
    for (const name of data.parameters) {
      select.appendChild(new Option(data.headers[name], name));
    }
    select.addEventListener("change", redraw);
  }
  if (data.parameters.length > 1) ys.value = data.parameters[1];
}

function drawImportance(result) {
  const note = document.getElementById("importance-note");
  if (result.error) {
    note.textContent = result.error;
    return;
  }
  const names = Object.keys(result.scores).sort((a, b) => result.scores[a] - result.scores[b]);
  const f = result.forest; // the dashboard's quicker forests than report --importance's
  const scored = (f ? `; ${f.trees} trees, ${f.folds} folds, ${f.repeats} shuffles` : "") +
    (result.metric ? `, scored on ${result.metric.replaceAll("_", " ")}` : "");
  note.textContent = (result.trials < result.of_trials
    ? `${result.method}, on ${result.trials} of ${result.of_trials} trials (a fixed sample)`
    : `${result.method}, over ${result.trials} trials`) + scored;
  chartOf("chart-importance").setOption({
    animation: false, grid: { left: 120 }, tooltip: {},
    xAxis: { type: "value", name: "importance" },
    yAxis: { type: "category", data: names.map((n) => n.replaceAll("_", " ")) },
    series: [{ type: "bar", data: names.map((n) => result.scores[n]) }],
  }, true);
}

window.hpsearchCharts = { drawHistory, drawCurves, drawParallel, drawSlices, drawScatter,
  fillAxes, drawImportance };
