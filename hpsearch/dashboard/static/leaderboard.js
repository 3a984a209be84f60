// The study page's leaderboard: pages of /api/study/NAME/leaderboard, which filters,
// sorts and pages every trial with a score in SQL (hpsearch/dashboard/board.py): human
// headers; numbers to their precision (numbers.js); a choice of columns (searched
// parameters first); a filter per column (a range "0.001..0.01", ">0.9", "<5", or
// values "adam, sgd"); pages of PAGE_ROWS; and the parallel coordinates' brush
// (setBrush). Every value goes in as text (textContent), never as markup.
"use strict";

const PAGE_ROWS = 50;
const HIDDEN = new Set(["number", "seed", "worker", "best_epoch"]); // shown when chosen

function makeLeaderboard(root, link, api) {
  const { formatNumber } = window.hpsearchNumbers;
  const table = root.querySelector("#leaderboard");
  const chooser = root.querySelector("#columns");
  const pager = root.querySelector("#pager");
  let data = null, shown = null, brush = null, page = 0, asked = 0;
  // best first: a minimised metric's lowest (the page says so in data-minimize)
  const filters = {}, sorting = { key: "score", up: root.dataset.minimize === "1" };

  function tag(name, text, className) {
    const node = document.createElement(name);
    node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  // The page the leaderboard shows now, asked again; an answer overtaken by a later
  // question is dropped. Resolves to the trials that pass (or null when dropped).
  async function refresh() {
    const params = new URLSearchParams({ page, rows: PAGE_ROWS, sort: sorting.key,
      desc: sorting.up ? "0" : "1" });
    for (const [key, text] of Object.entries(filters)) if (text.trim()) params.set(`f.${key}`, text);
    if (brush) params.set("brush", JSON.stringify(brush));
    const mine = ++asked;
    const response = await fetch(`${api}?${params}`, { cache: "no-store" });
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    const answer = await response.json();
    if (mine !== asked) return null;
    data = answer;
    page = answer.page;
    if (!shown) {
      shown = new Set(data.order.filter((key) => !HIDDEN.has(key) ||
        (data.scoring && key === "best_epoch"))); // a function's best @epoch
    }
    if (!chooser.childElementCount) drawChooser();
    draw();
    table.dataset.drawn = String(Number(table.dataset.drawn || 0) + 1);
    return data.total;
  }

  function columns() {
    return data.order.filter((key) => shown.has(key));
  }

  function drawChooser() {
    chooser.replaceChildren();
    for (const key of data.order) {
      const box = document.createElement("input");
      box.type = "checkbox";
      box.checked = shown.has(key);
      box.dataset.key = key;
      box.addEventListener("change", () => {
        if (box.checked) shown.add(key); else shown.delete(key);
        draw();
      });
      const labelled = tag("label", "");
      labelled.append(box, ` ${data.headers[key]}`);
      chooser.appendChild(labelled);
    }
  }

  function draw() {
    const keys = columns(), c = data.columns;
    table.replaceChildren();
    const head = table.createTHead();
    const titles = head.insertRow(), inputs = head.insertRow();
    for (const key of keys) {
      const th = titles.appendChild(tag("th", data.headers[key]));
      th.dataset.key = key;
      if (key === sorting.key) th.className = sorting.up ? "sorted up" : "sorted";
      th.addEventListener("click", () => {
        const lowFirst = key === "score" && data.scoring?.direction === "minimize";
        sorting.up = sorting.key === key ? !sorting.up : lowFirst;
        sorting.key = key;
        refresh();
      });
      const input = document.createElement("input");
      input.className = "filter";
      input.dataset.key = key;
      input.value = filters[key] || "";
      input.placeholder = data.formats[key] === "text" ? "values" : "a..b";
      input.addEventListener("change", () => {
        filters[key] = input.value;
        page = 0;
        refresh();
      });
      inputs.insertCell().appendChild(input);
    }
    const body = table.createTBody();
    for (let i = 0; i < c.trial.length; i++) {
      const tr = body.insertRow();
      tr.dataset.trial = c.trial[i];
      tr.title = data.parameters.map((p) => `${data.headers[p]}: ` +
        formatNumber(c[p][i], data.formats[p])).join("\n");
      for (const key of keys) {
        const td = tr.insertCell();
        td.textContent = formatNumber(c[key][i], data.formats[key] || "text");
        if (typeof c[key][i] === "number") td.className = "num";
      }
      const trial = c.trial[i];
      tr.addEventListener("click", () => { window.location = link + trial; });
    }
    pager.replaceChildren();
    const back = tag("button", "‹ previous"), next = tag("button", "next ›");
    back.type = next.type = "button";
    back.disabled = data.page === 0;
    next.disabled = data.page >= data.pages - 1;
    back.addEventListener("click", () => { page -= 1; refresh(); });
    next.addEventListener("click", () => { page += 1; refresh(); });
    const note = tag("span", ` page ${data.page + 1} of ${data.pages}, ${data.total} trials` +
      (brush ? " (brushed)" : "") + " ", "note");
    note.id = "pager-note";
    pager.append(back, note, next);
  }

  return {
    // The page asked again (the study changed); resolves to the trials that pass.
    update: refresh,
    // Keep only the trials the brush keeps ({column: [[low, high], ...] or [value, ...]};
    // null: every trial); resolves to the trials that pass.
    setBrush(next) {
      brush = next;
      page = 0;
      return refresh();
    },
  };
}

window.hpsearchLeaderboard = { makeLeaderboard };
