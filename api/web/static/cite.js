// Citation chips and cited sentences, shared by answers and briefings. A chip opens its article in the reader
// with every quote of that article (from the same answer or briefing) highlighted and its own quote current.

import { el, formatDay } from "./dom.js";
import { openArticle } from "./reader.js";

const keyOf = (c) => `${c.article_id}:${c.start}:${c.end}`;

/** The citations of one answer or briefing, numbered in order of first appearance. */
export class CitationSet {
  constructor() {
    this.byKey = new Map();
  }

  add(citation) {
    const key = keyOf(citation);
    if (!this.byKey.has(key)) this.byKey.set(key, { ...citation, key, number: this.byKey.size + 1 });
    return this.byKey.get(key);
  }

  /** Every quote of one article, in text order. */
  quotesOf(articleId) {
    return [...this.byKey.values()].filter((c) => c.article_id === articleId).sort((a, b) => a.start - b.start);
  }

  all() {
    return [...this.byKey.values()];
  }

  chip(citation) {
    const c = this.add(citation);
    // The visible text is the accessible name (number and article title); the quote is the tooltip.
    const when = c.published_at ? `, ${formatDay(c.published_at)}` : "";
    // A story several outlets carried is cited once; say how many carried it.
    const carried = c.outlets > 1 ? ` (${c.outlets} outlets)` : "";
    const button = el(
      "button",
      {
        type: "button",
        className: "chip",
        dataset: { articleId: c.article_id, start: String(c.start), end: String(c.end), key: c.key },
        title: `“${c.quote}” (${c.title}${when})`,
      },
      `${c.number} · ${c.title}${carried}`,
    );
    button.addEventListener("click", () => {
      openArticle(c.article_id, { quotes: this.quotesOf(c.article_id), current: c.key, opener: button });
    });
    return button;
  }

  chips(citations) {
    return (citations || []).map((c) => this.chip(c));
  }
}

let tipCounter = 0;

/** A sentence (or bullet) with its chips. Unsupported ones are struck through with the verifier's reason
 *  shown on hover or keyboard focus (and read out through aria-describedby). */
export function citedText(item, set, { emphasise = null } = {}) {
  const supported = item.supported !== false;
  const span = el("span", { className: "sentence" });
  span.append(...emphasised(item.text, emphasise));
  if (!supported || item.reason) {
    const tipId = `tip-${++tipCounter}`;
    span.classList.add("unsupported");
    span.tabIndex = 0;
    span.setAttribute("aria-describedby", tipId);
    span.append(
      el("span", { className: "flag" }, supported ? "flagged" : "not supported"),
      el(
        "span",
        { className: "tip", role: "tooltip", id: tipId },
        item.reason || "The verifier found no support for this in the articles.",
      ),
    );
  }
  const chips = set.chips(item.citations);
  if (chips.length) span.append(" ", ...chips);
  return span;
}

/** Text with the first occurrence of `word` in <strong> (the short answer inside its sentence). */
function emphasised(text, word) {
  const at = word ? text.indexOf(word) : -1;
  if (at < 0) return [text];
  return [text.slice(0, at), el("strong", {}, word), text.slice(at + word.length)];
}
