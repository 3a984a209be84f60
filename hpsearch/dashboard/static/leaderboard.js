// The study page's leaderboard, drawn from /api/study/NAME/trials (every trial as
// columns): the trials that have a score, best first; human headers; numbers to their
// precision (numbers.js); a choice of columns (searched parameters first); a filter per
// column (a range "0.001..0.01", ">0.9", "<5", or values "adam, sgd"); pages of
// PAGE_ROWS; and the trials the parallel coordinates' brush keeps (setSelection).
// Every value goes in as text (textContent), never as markup.
"use strict";

const PAGE_ROWS = 50;
const HIDDEN = new Set(["number", "seed", "worker", "best_epoch"]); // shown when chosen

function makeLeaderboard(root, link) {
  const { formatNumber } = window.hpsearchNumbers;
  const table = root.querySelector("#leaderboard");
  const chooser = root.querySelector("#columns");
  const pager = root.querySelector("#pager");
  let data = null, shown = null, selection = null, page = 0;
  const filters = {}, sorting = { key: "score", up: false };

  function tag(name, text, className) {
    const node = document.createElement(name);
    node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  // Whether `value` passes the column filter `text`.
  function passes(value, text) {
    text = text.trim();
    if (!text) return true;
    if (value === null || value === undefined) return false;
    const range = text.match(/^(\S*)\s*\.\.\s*(\S*)$/);
    if (range && typeof value === "number") {
      return (range[1] === "" || value >= Number(range[1])) &&
        (range[2] === "" || value <= Number(range[2]));
    }
    const bound = text.match(/^([<>]=?)\s*(\S+)$/);
    if (bound && typeof value === "number") {
      const limit = Number(bound[2]);
      return { "<": value < limit, "<=": value <= limit, ">": value > limit,
        ">=": value >= limit }[bound[1]];
    }
    const wanted = text.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
    return wanted.includes(String(value).toLowerCase());
  }

  function rows() {
    const c = data.columns, n = c.trial.length;
    let picked = [];
    for (let i = 0; i < n; i++) {
      if (c.score[i] === null || c.status[i] === "running") continue;
      if (selection && !selection.has(c.trial[i])) continue;
      if (Object.entries(filters).every(([key, text]) => passes(c[key][i], text))) picked.push(i);
    }
    const k = sorting.key, sign = sorting.up ? 1 : -1, values = c[k];
    picked.sort((a, b) => {
      if (values[a] === values[b]) return c.trial[a] - c.trial[b];
      if (values[a] === null) return 1;
      if (values[b] === null) return -1;
      return (values[a] < values[b] ? -1 : 1) * sign;
    });
    return picked;
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
    const keys = columns(), picked = rows();
    const pages = Math.max(Math.ceil(picked.length / PAGE_ROWS), 1);
    page = Math.min(page, pages - 1);
    table.replaceChildren();
    const head = table.createTHead();
    const titles = head.insertRow(), inputs = head.insertRow();
    for (const key of keys) {
      const th = titles.appendChild(tag("th", data.headers[key]));
      th.dataset.key = key;
      if (key === sorting.key) th.className = sorting.up ? "sorted up" : "sorted";
      th.addEventListener("click", () => {
        sorting.up = sorting.key === key ? !sorting.up : false;
        sorting.key = key;
        draw();
      });
      const input = document.createElement("input");
      input.className = "filter";
      input.dataset.key = key;
      input.value = filters[key] || "";
      input.placeholder = data.formats[key] === "text" ? "values" : "a..b";
      input.addEventListener("change", () => {
        filters[key] = input.value;
        page = 0;
        draw();
      });
      inputs.insertCell().appendChild(input);
    }
    const body = table.createTBody(), c = data.columns;
    for (const i of picked.slice(page * PAGE_ROWS, (page + 1) * PAGE_ROWS)) {
      const tr = body.insertRow();
      tr.dataset.trial = c.trial[i];
      tr.title = data.parameters.map((p) => `${data.headers[p]}: ` +
        formatNumber(c[p][i], data.formats[p])).join("\n");
      for (const key of keys) {
        const td = tr.insertCell();
        td.textContent = formatNumber(c[key][i], data.formats[key] || "text");
        if (typeof c[key][i] === "number") td.className = "num";
      }
      tr.addEventListener("click", () => { window.location = link + c.trial[i]; });
    }
    pager.replaceChildren();
    const back = tag("button", "‹ previous"), next = tag("button", "next ›");
    back.type = next.type = "button";
    back.disabled = page === 0;
    next.disabled = page >= pages - 1;
    back.addEventListener("click", () => { page -= 1; draw(); });
    next.addEventListener("click", () => { page += 1; draw(); });
    const note = tag("span", ` page ${page + 1} of ${pages}, ${picked.length} trials` +
      (selection ? " (brushed)" : "") + " ", "note");
    note.id = "pager-note";
    pager.append(back, note, next);
  }

  return {
    update(next) {
      if (!shown) shown = new Set(next.order.filter((key) => !HIDDEN.has(key)));
      data = next;
      if (!chooser.childElementCount) drawChooser();
      draw();
    },
    // Keep only the trials of `ids` (a Set; null: every trial).
    setSelection(ids) {
      selection = ids;
      page = 0;
      if (data) draw();
    },
  };
}

window.hpsearchLeaderboard = { makeLeaderboard };
