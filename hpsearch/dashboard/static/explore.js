// The study page's charts and leaderboard, fetched again whenever dashboard.js finds the
// study changed (an epoch stored, a status changed): the leaderboard's page and the
// curves at once, the charts' trials (a sample of a large study's) at most every
// TRIALS_MS; the importance (a random forest) once. The parallel coordinates' brush is
// kept across redraws: the leaderboard keeps filtering by it and the chart draws it again.
"use strict";

const TRIALS_MS = 10000;

function startExplore(root) {
  const charts = window.hpsearchCharts;
  const board = window.hpsearchLeaderboard.makeLeaderboard(root, root.dataset.trial,
    root.dataset.leaderboard);
  const note = document.getElementById("brush-note");
  let trialsAt = -Infinity, pending = false, data = null, importanceAsked = false;
  let brush = null;

  async function select(next) {
    brush = next;
    const total = await board.setBrush(next);
    if (total !== null) note.textContent = next ? `${total} trials within the brushed ranges` : "";
  }

  async function json(url) {
    const response = await fetch(url, { cache: "no-store" });
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    return response.json();
  }

  async function trials() {
    trialsAt = Date.now();
    data = await json(root.dataset.trials);
    document.getElementById("sample-note").textContent = data.shown < data.trials
      ? `The charts draw ${data.shown} of the ${data.trials} trials (the best fifth of ` +
        `them and a fixed sample of the others); the best so far, the leaderboard and the ` +
        `brush go over every trial.` : "";
    // one chart per task: the page answers clicks and scrolls between them
    for (const draw of [() => charts.drawHistory(data), () => charts.drawParallel(data, select,
      brush), () => charts.drawSlices(data), () => {
      charts.fillAxes(data, () => charts.drawScatter(data));
      charts.drawScatter(data);
    }]) {
      draw();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    root.dataset.charted = String(Number(root.dataset.charted || 0) + 1);
    if (!importanceAsked) { // a random forest per answer: asked once per page load
      importanceAsked = true;
      charts.drawImportance(await json(root.dataset.importance));
    }
  }

  let opening = board.update(); // the leaderboard at once, before the page's first poll
  document.addEventListener("study-changed", async () => {
    const asked = opening || board.update();
    opening = null;
    await Promise.all([asked, json(root.dataset.curves).then(charts.drawCurves)]);
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
