// The comparison page's charts, drawn from /api/compare: the trials of every study on
// parallel coordinates over all the parameters any of them searched (and the score),
// one colour per study (a study that did not search a parameter has no line through
// its axis); and each study's best score so far, trial by trial in round order (its
// history over every trial, the rises only). Tooltips are DOM text, never markup.
"use strict";

function compareTip(lines) {
  const box = document.createElement("div");
  for (const line of lines) box.appendChild(document.createElement("div")).textContent = line;
  return box;
}

function drawCompared(studies) {
  const names = [], kinds = {}, choices = {};
  for (const s of studies) {
    for (const p of s.parameters) {
      if (!names.includes(p)) names.push(p);
      kinds[p] = s.formats[p];
      for (const r of s.rounds) for (const c of r.domains[p]?.choices || []) {
        (choices[p] = choices[p] || new Set()).add(c);
      }
    }
  }
  names.push("score");
  const type = (p) => (p === "score" ? "value"
    : kinds[p] === "text" ? "category" : kinds[p] === "scientific" ? "log" : "value");
  const chart = window.echarts.init(document.getElementById("chart-compare"));
  chart.setOption({
    animation: false, legend: { top: 0 },
    parallel: { left: 60, right: 60, top: 50, bottom: 30 },
    parallelAxis: names.map((p, dim) => ({ dim, name: p.replaceAll("_", " "), type: type(p),
      data: type(p) === "category" ? [...(choices[p] || [])] : undefined })),
    series: studies.map((s) => {
      const c = s.columns, rows = [];
      for (let i = 0; i < c.trial.length; i++) {
        if (c.score[i] === null || c.status[i] === "running") continue;
        rows.push(names.map((p) => (c[p] === undefined ? null : c[p][i])));
      }
      return { type: "parallel", name: s.name, data: rows, lineStyle: { width: 1, opacity: 0.4 } };
    }),
  });
}

function drawHistories(studies) {
  const own = studies.length ? studies[0].scoring : undefined; // a training function's
  const most = Math.max(1, ...studies.map((s) => s.history.trials));
  const chart = window.echarts.init(document.getElementById("chart-compare-history"));
  chart.setOption({
    animation: false, legend: { top: 0 },
    tooltip: { trigger: "item", formatter: (p) => compareTip([p.seriesName,
      `trial ${p.data[0]} (in round order)`, `best so far ${Number(p.data[1]).toFixed(4)}`]) },
    grid: { left: 60, right: 30, top: 40, bottom: 50 },
    xAxis: { type: "value", name: "trial (in round order)", nameLocation: "middle",
      nameGap: 28, min: 0, max: most },
    // one metric for all (the page compares no others): a function's on its own range
    yAxis: own ? { type: "value", name: own.label, ...(own.bounded ? { min: 0, max: 1 }
      : { scale: true }) } : { type: "value", name: "validation accuracy", min: 0, max: 1 },
    series: studies.map((s) => {
      const best = s.history.best.slice();
      if (best.length && best[best.length - 1][0] < s.history.trials) {
        best.push([s.history.trials, best[best.length - 1][1]]);
      }
      return { type: "line", name: s.name, step: "end", data: best, symbolSize: 5 };
    }),
  });
}

async function startCompare(root) {
  const response = await fetch(root.dataset.api, { cache: "no-store" });
  if (!response.ok) return;
  const studies = await response.json();
  drawCompared(studies);
  drawHistories(studies);
  root.dataset.drawn = "1";
}

const compareRoot = document.getElementById("compare");
if (compareRoot) startCompare(compareRoot);
