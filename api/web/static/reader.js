// The reader pane: one stored article, with quotes highlighted at exactly body[start:end].
//
// The body is rebuilt from text nodes split at every quote boundary; each piece inside a quote is a <mark>
// naming the quotes that cover it (data-keys), so overlapping quotes still highlight exactly.

import { getJSON } from "./api.js";
import { byId, el, formatDay, messageOf, safeLink } from "./dom.js";

const cache = new Map(); // article id -> article (cleared when articles change)
let state = { quotes: [], index: -1, opener: null, articleId: null };

export function forgetArticles() {
  cache.clear();
}

export function readerShows(articleId) {
  return !byId("reader").hidden && state.articleId === articleId;
}

async function loadArticle(id) {
  if (!cache.has(id)) cache.set(id, await getJSON(`v1/articles/${encodeURIComponent(id)}`));
  return cache.get(id);
}

/** Split `body` at the quotes' boundaries: [{start, end, keys}] covering the whole text in order. */
export function segments(body, quotes) {
  const cuts = new Set([0, body.length]);
  for (const q of quotes) {
    cuts.add(q.start);
    cuts.add(q.end);
  }
  const points = [...cuts].sort((a, b) => a - b);
  const out = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const [start, end] = [points[i], points[i + 1]];
    out.push({ start, end, keys: quotes.filter((q) => q.start <= start && end <= q.end).map((q) => q.key) });
  }
  return out;
}

function renderBody(body, quotes) {
  const container = byId("reader-body");
  const nodes = segments(body, quotes).map((s) => {
    const text = body.slice(s.start, s.end);
    if (!s.keys.length) return document.createTextNode(text);
    return el("mark", { dataset: { keys: s.keys.join(" "), start: String(s.start), end: String(s.end) } }, text);
  });
  container.replaceChildren(...nodes);
}

function renderMeta(article) {
  byId("reader-title").textContent = article.title || article.id;
  const parts = [article.source, formatDay(article.published_at), (article.authors || []).join(", ")];
  byId("reader-meta").textContent = parts.filter(Boolean).join(" · ");
  const link = article.url ? safeLink(article.url) : null;
  const where = byId("reader-link");
  if (link) where.replaceChildren(link);
  else where.textContent = article.url ? `URL: ${article.url}` : "";
}

function showPane() {
  byId("reader").hidden = false;
  byId("layout").classList.add("reading");
}

/** Open an article. `quotes` are citations of it ({key, start, end, quote}); `current` is the key of the one
 *  to scroll to; `opener` gets focus back on close and is marked as the active chip. */
export async function openArticle(articleId, { quotes = [], current = null, opener = null } = {}) {
  document.querySelectorAll(".chip.active").forEach((c) => {
    c.classList.remove("active");
    c.removeAttribute("aria-current");
  });
  if (opener && opener.classList.contains("chip")) {
    opener.classList.add("active");
    opener.setAttribute("aria-current", "true");
  }
  state = { quotes: [], index: -1, opener, articleId };
  byId("reader").querySelectorAll(".stale").forEach((n) => n.remove());
  showPane();
  byId("reader-title").textContent = "Loading…";
  byId("reader-meta").textContent = "";
  byId("reader-link").textContent = "";
  byId("reader-body").replaceChildren();
  byId("reader-position").textContent = "";
  let article;
  try {
    article = await loadArticle(articleId);
  } catch (error) {
    byId("reader-title").textContent = "Article not available";
    byId("reader-body").replaceChildren(el("p", { className: "notice", role: "alert" }, messageOf(error)));
    return;
  }
  if (state.articleId !== articleId) return; // another article was opened meanwhile
  // Offsets index the stored body; a quote that no longer matches (the article was updated) is not shown.
  const valid = quotes.filter((q) => article.body.slice(q.start, q.end) === q.quote);
  renderMeta(article);
  renderBody(article.body, valid);
  const stale = quotes.length - valid.length;
  if (stale) {
    byId("reader-body").before(
      el("p", { className: "notice stale" }, `${stale} quote(s) no longer match this article: it changed since.`),
    );
  }
  state.quotes = valid;
  const index = valid.findIndex((q) => q.key === current);
  goTo(index >= 0 ? index : valid.length ? 0 : -1, { focus: true });
}

function goTo(index, { focus = false } = {}) {
  const { quotes } = state;
  document.querySelectorAll(".reader-body mark.current").forEach((m) => m.classList.remove("current"));
  byId("reader-prev").hidden = byId("reader-next").hidden = quotes.length < 2;
  if (index < 0) {
    byId("reader-position").textContent = "";
    if (focus) byId("reader").focus({ preventScroll: true });
    byId("reader").scrollTop = 0;
    return;
  }
  state.index = index;
  const key = quotes[index].key;
  const marks = [...document.querySelectorAll(".reader-body mark")].filter((m) => m.dataset.keys.split(" ").includes(key));
  marks.forEach((m) => m.classList.add("current"));
  byId("reader-position").textContent =
    quotes.length > 1 ? `Quote ${index + 1} of ${quotes.length} in this article` : "1 quote in this article";
  if (marks.length) {
    marks[0].tabIndex = -1;
    marks[0].scrollIntoView({ block: "center" });
    if (focus) marks[0].focus({ preventScroll: true });
  }
}

export function closeReader() {
  byId("reader").querySelectorAll(".stale").forEach((n) => n.remove());
  byId("reader").hidden = true;
  byId("layout").classList.remove("reading");
  const { opener } = state;
  state = { quotes: [], index: -1, opener: null, articleId: null };
  if (opener && opener.isConnected) opener.focus();
}

export function initReader() {
  byId("reader-close").addEventListener("click", closeReader);
  byId("reader-prev").addEventListener("click", () => {
    if (state.quotes.length) goTo((state.index - 1 + state.quotes.length) % state.quotes.length);
  });
  byId("reader-next").addEventListener("click", () => {
    if (state.quotes.length) goTo((state.index + 1) % state.quotes.length);
  });
  byId("reader").addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeReader();
  });
}
