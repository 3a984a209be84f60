// The comparison page's chart: the trials of every study compared on parallel
// coordinates over all the parameters any of them searched (and the score), one colour
// per study; a study that did not search a parameter has no line through its axis.
"use strict";

async function startCompare(root) {
  const response = await fetch(root.dataset.api, { cache: "no-store" });
  if (!response.ok) return;
  const studies = await response.json();
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
  root.dataset.drawn = "1";
}

const compareRoot = document.getElementById("compare");
if (compareRoot) startCompare(compareRoot);
