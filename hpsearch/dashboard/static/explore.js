// The study page's charts and leaderboard: fetched again whenever dashboard.js finds the
// study changed (an epoch stored, a status changed): the curves at once, every trial's
// columns at most every TRIALS_MS; the importance (a random forest) once.
"use strict";

const TRIALS_MS = 10000;

function startExplore(root) {
  const charts = window.hpsearchCharts;
  const board = window.hpsearchLeaderboard.makeLeaderboard(root, root.dataset.trial);
  const note = document.getElementById("brush-note");
  let trialsAt = -Infinity, pending = false, data = null, importanceAsked = false;

  function select(ids) {
    board.setSelection(ids);
    note.textContent = ids ? `${ids.size} trials within the brushed ranges` : "";
  }

  async function json(url) {
    const response = await fetch(url, { cache: "no-store" });
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    return response.json();
  }

  async function trials() {
    trialsAt = Date.now();
    data = await json(root.dataset.trials);
    board.update(data);
    charts.drawHistory(data);
    charts.drawParallel(data, select);
    charts.drawSlices(data);
    charts.fillAxes(data, () => charts.drawScatter(data));
    charts.drawScatter(data);
    if (!importanceAsked) { // a random forest per answer: asked once per page load
      importanceAsked = true;
      charts.drawImportance(await json(root.dataset.importance));
    }
  }

  document.addEventListener("study-changed", async () => {
    charts.drawCurves(await json(root.dataset.curves));
    if (Date.now() - trialsAt >= TRIALS_MS) await trials();
    else if (!pending) {
      pending = true;
      setTimeout(() => { pending = false; trials(); }, TRIALS_MS - (Date.now() - trialsAt));
    }
    root.dataset.drawn = String(Number(root.dataset.drawn || 0) + 1);
  });
}

const exploreRoot = document.getElementById("study");
if (exploreRoot) startExplore(exploreRoot);
