// Briefings: a topic and/or a date window, or the articles selected in the list, give cited bullets. Each bullet
// opens its quotes like an answer's, and the briefing or one bullet copies as Markdown.

import { getJSON, postJSON, query } from "./api.js";
import { onSelectionChange, selection } from "./articles.js";
import { CitationSet, citedText } from "./cite.js";
import { byId, copyText, el, formatDay, formValues, showError } from "./dom.js";

const MAX_IDS = 100; // the API's limit on article_ids

/** The request for the form: selected articles, a topic (with dates), or, with dates only, the articles
 *  published in that window. Returns [body, note]. */
async function briefingRequest(form) {
  const v = formValues(form);
  const body = v.generator ? { generator: v.generator } : {};
  if (v.scope === "selected") {
    if (!selection.size) throw new Error("Select articles in the Articles list first, or brief a topic.");
    return [{ ...body, article_ids: [...selection.keys()].slice(0, MAX_IDS) }, ""];
  }
  if (v.topic) return [{ ...body, topic: v.topic, since: v.since, until: v.until }, ""];
  if (!v.since && !v.until) throw new Error("Give a topic, a date window, or both.");
  const page = await getJSON(`v1/articles${query({ since: v.since, until: v.until, limit: MAX_IDS })}`);
  if (!page.items.length) throw new Error("No articles were published in that window.");
  const note = page.total > page.items.length ? `The ${page.items.length} newest of ${page.total} articles.` : "";
  return [{ ...body, article_ids: page.items.map((a) => a.id) }, note];
}

function footnote(c, number) {
  const where = [c.title, formatDay(c.published_at)].filter(Boolean).join(", ");
  const carried = c.outlets > 1 ? ` (carried by ${c.outlets} outlets)` : "";
  return `[^${number}]: “${c.quote}” — ${where}${c.url ? ` <${c.url}>` : ""}${carried}`;
}

/** Markdown for bullets: "- text [^1]" lines and their footnotes, numbered within this text. */
export function markdown(title, bullets) {
  const numbers = new Map();
  const notes = [];
  const lines = bullets.map((b) => {
    const refs = (b.citations || []).map((c) => {
      const key = `${c.article_id}:${c.start}:${c.end}`;
      if (!numbers.has(key)) {
        numbers.set(key, numbers.size + 1);
        notes.push(footnote(c, numbers.size));
      }
      return `[^${numbers.get(key)}]`;
    });
    const flag = b.supported === false ? " (not supported by the articles)" : "";
    return `- ${b.text}${flag}${refs.length ? ` ${refs.join("")}` : ""}`;
  });
  return [title ? `## ${title}\n` : "", ...lines, "", ...notes].join("\n").trim() + "\n";
}

function copyButton(label, ariaLabel, text) {
  const button = el("button", { type: "button", className: "quiet copy", "aria-label": ariaLabel }, label);
  const done = el("span", { className: "copied", role: "status" });
  button.addEventListener("click", async () => {
    done.textContent = (await copyText(text())) ? "Copied" : "Copy failed";
    setTimeout(() => (done.textContent = ""), 2500);
  });
  return [button, done];
}

export function renderBriefing(briefing, note = "") {
  const set = new CitationSet();
  const bullets = briefing.bullets || [];
  const card = el("article", { className: "answer-card", "aria-label": "Briefing" },
    el("h3", {}, briefing.title || "Briefing"));
  if (note) card.append(el("p", { className: "muted" }, note));
  if (!bullets.length) {
    card.append(el("p", {}, "The articles gave nothing to brief."));
    return card;
  }
  card.append(el("p", {}, ...copyButton("Copy briefing as Markdown", "Copy the whole briefing as Markdown",
    () => markdown(briefing.title, bullets))));
  const list = el("ul", { className: "bullets" });
  bullets.forEach((b, i) => {
    const actions = el("span", { className: "bullet-actions" },
      ...copyButton("Copy", `Copy bullet ${i + 1} as Markdown`, () => markdown("", [b])));
    list.append(el("li", {}, citedText(b, set), actions));
  });
  card.append(list);
  const ids = briefing.article_ids || [];
  card.append(el("p", { className: "meta-line" },
    `Generator: ${briefing.generator || "extractive"} · from ${ids.length} article${ids.length === 1 ? "" : "s"}`));
  return card;
}

function showSelection() {
  byId("selected-count").textContent = String(selection.size);
  byId("selected-list").replaceChildren(...[...selection.values()].map((title) => el("li", {}, title)));
}

export function initBriefings() {
  const form = byId("briefing-form");
  const out = byId("briefing");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = byId("brief-button");
    button.disabled = true;
    out.replaceChildren(el("p", { className: "muted", role: "status" }, "Building the briefing…"));
    try {
      const [body, note] = await briefingRequest(form);
      out.replaceChildren(renderBriefing(await postJSON("v1/briefings", body), note));
    } catch (error) {
      showError(out, error);
    } finally {
      button.disabled = false;
    }
  });
  onSelectionChange(showSelection);
  showSelection();
}
