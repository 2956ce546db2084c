// Articles: upload (file picker and drag-and-drop, one request per file so each gets its own result), the list
// with filters and paging, full-text search (the service's hybrid search), article view, delete.

import { getJSON, postJSON, query, request } from "./api.js";
import { byId, confirmDialog, el, formatDay, formValues, messageOf, showError } from "./dom.js";
import { closeReader, forgetArticles, openArticle, readerShows } from "./reader.js";

const PAGE = 20;
const SEARCH_HITS = 50;
let view = { offset: 0, total: 0, filters: {} };

// --- selection for briefings ------------------------------------------------------------------------------
export const selection = new Map(); // id -> title
const listeners = [];
export const onSelectionChange = (fn) => listeners.push(fn);
function selectionChanged() {
  listeners.forEach((fn) => fn(selection));
}

function rememberSources(items) {
  const list = byId("sources");
  const known = new Set([...list.options].map((o) => o.value));
  for (const item of items) {
    if (item.source && !known.has(item.source)) {
      known.add(item.source);
      list.append(el("option", { value: item.source }));
    }
  }
}

function articleItem(item, snippet = null) {
  const title = item.title || item.id;
  const checkbox = el("input", { type: "checkbox", "aria-label": `Select “${title}” for a briefing` });
  checkbox.checked = selection.has(item.id);
  checkbox.addEventListener("change", () => {
    if (checkbox.checked) selection.set(item.id, title);
    else selection.delete(item.id);
    selectionChanged();
  });
  const open = el("button", { type: "button", className: "title" }, title);
  open.addEventListener("click", () =>
    openArticle(item.id, { quotes: snippet ? [snippet] : [], current: snippet?.key, opener: open }),
  );
  const info = [item.source, formatDay(item.published_at)];
  if (item.n_chunks !== undefined) info.push(`${item.n_chunks} chunk${item.n_chunks === 1 ? "" : "s"}`);
  if (item.state && item.state !== "ready") info.push(item.state);
  const remove = el("button", { type: "button", className: "quiet danger-text", "aria-label": `Delete “${title}”` },
    "Delete");
  remove.addEventListener("click", () => deleteArticle(item.id, title));
  return el(
    "li",
    { className: "article", dataset: { articleId: item.id } },
    checkbox,
    el("div", {}, open, el("div", { className: "info" }, info.filter(Boolean).join(" · ")),
      snippet ? el("p", { className: "snippet" }, snippet.quote) : null),
    el("div", { className: "actions" }, remove),
  );
}

export async function loadArticles() {
  const list = byId("article-list");
  const count = byId("article-count");
  const { q, ...filters } = view.filters;
  try {
    if (q) {
      await searchArticles(q, filters);
      return;
    }
    const page = await getJSON(`v1/articles${query({ ...filters, limit: PAGE, offset: view.offset })}`);
    view.total = page.total;
    rememberSources(page.items);
    list.replaceChildren(...page.items.map((item) => articleItem(item)));
    count.textContent = page.total
      ? `${page.offset + 1}–${page.offset + page.items.length} of ${page.total} article${page.total === 1 ? "" : "s"}`
      : "No articles match.";
    byId("prev-page").disabled = view.offset === 0;
    byId("next-page").disabled = view.offset + PAGE >= page.total;
  } catch (error) {
    count.textContent = "";
    showError(list, error);
  }
}

/** Search through the service's own retrieval; each article once, with its best passage. */
async function searchArticles(q, filters) {
  const body = { question: q, k: SEARCH_HITS };
  if (Object.keys(filters).length) body.filters = filters;
  const hits = await postJSON("v1/search", body);
  const best = new Map();
  for (const hit of hits) if (!best.has(hit.article_id)) best.set(hit.article_id, hit);
  const items = [...best.values()].map((hit) =>
    articleItem(
      { id: hit.article_id, title: hit.title },
      { key: `${hit.article_id}:${hit.start}:${hit.end}`, start: hit.start, end: hit.end, quote: hit.text },
    ),
  );
  byId("article-list").replaceChildren(...items);
  byId("article-count").textContent = items.length
    ? `${items.length} article${items.length === 1 ? "" : "s"} with passages about “${q}”, best first`
    : `No passages about “${q}”.`;
  byId("prev-page").disabled = byId("next-page").disabled = true;
}

async function deleteArticle(id, title) {
  const yes = await confirmDialog(`Delete “${title}”? Its passages leave the index and it will not be cited again.`);
  if (!yes) return;
  try {
    await request(`v1/articles/${encodeURIComponent(id)}`, { method: "DELETE" });
  } catch (error) {
    showError(byId("upload-results"), error);
    return;
  }
  forgetArticles();
  if (readerShows(id)) closeReader();
  if (selection.delete(id)) selectionChanged();
  byId("upload-results").replaceChildren(el("li", {}, el("span", { className: "status" }, "deleted"), ` ${title}`));
  if (view.offset >= view.total - 1 && view.offset > 0) view.offset -= PAGE;
  await loadArticles();
}

// --- upload -----------------------------------------------------------------------------------------------
function itemLine(item) {
  const what = item.title || item.article_id || "article";
  const chunks = item.status === "added" || item.status === "updated" ? ` (${item.chunks} passages)` : "";
  return el("div", {}, el("span", { className: `status ${item.status}` }, item.status), ` ${what}${chunks}`,
    item.reason ? ` — ${item.reason}` : "");
}

async function uploadFiles(files) {
  const results = byId("upload-results");
  results.replaceChildren();
  for (const file of files) {
    const row = el("li", { dataset: { file: file.name } }, el("strong", {}, file.name), ": uploading…");
    results.append(row);
    const form = new FormData();
    form.append("files", file, file.name);
    try {
      const response = await request("v1/articles:upload", { method: "POST", body: form });
      const report = await response.json();
      row.replaceChildren(el("strong", {}, file.name), ...report.items.map(itemLine));
    } catch (error) {
      row.replaceChildren(el("strong", {}, file.name), el("div", {}, el("span", { className: "status failed" },
        "not added"), ` — ${messageOf(error)}`));
    }
  }
  forgetArticles();
  await loadArticles();
}

function initUpload() {
  const input = byId("files");
  input.addEventListener("change", async () => {
    const files = [...input.files];
    if (files.length) await uploadFiles(files);
    input.value = "";
  });
  const zone = byId("drop-zone");
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    const files = [...(event.dataTransfer?.files || [])];
    if (files.length) uploadFiles(files);
  });
}

export function initArticles() {
  initUpload();
  const filters = byId("article-filters");
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    view = { offset: 0, total: 0, filters: formValues(filters) };
    loadArticles();
  });
  byId("prev-page").addEventListener("click", () => {
    view.offset = Math.max(0, view.offset - PAGE);
    loadArticles();
  });
  byId("next-page").addEventListener("click", () => {
    view.offset += PAGE;
    loadArticles();
  });
}
