// Ask: the question form, the streamed answer (SSE `delta` events as they come, then the full `answer`), and
// the answer card: short answer, cited sentences, unsupported ones marked, abstentions as abstentions.

import { ApiError, events, request } from "./api.js";
import { CitationSet, citedText } from "./cite.js";
import { byId, el, formValues, showError } from "./dom.js";

let running = null; // the AbortController of the question being answered

function requestBody(form) {
  const v = formValues(form);
  const body = { question: v.question, stream: true };
  if (v.today) body.today = v.today;
  const filters = {};
  for (const name of ["source", "since", "until"]) if (v[name]) filters[name] = v[name];
  if (Object.keys(filters).length) body.filters = filters;
  if (v.generator) body.generator = v.generator;
  return body;
}

async function ask(form) {
  const out = byId("answer");
  const body = requestBody(form);
  if (!body.question) return;
  running?.abort();
  const controller = new AbortController();
  running = controller;
  const streamed = el("p", { className: "streaming sentences" });
  out.replaceChildren(el("div", { className: "answer-card", "aria-busy": "true" }, streamed));
  const button = byId("ask-button");
  button.disabled = true;
  try {
    const response = await request("v1/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    if (!(response.headers.get("content-type") || "").includes("text/event-stream")) {
      out.replaceChildren(renderAnswer(await response.json()));
      return;
    }
    let finished = false;
    for await (const event of events(response)) {
      if (event.event === "delta") {
        streamed.append(el("span", { className: "sentence" }, event.data.text));
      } else if (event.event === "answer") {
        out.replaceChildren(renderAnswer(event.data));
        finished = true;
      } else if (event.event === "error") {
        throw new ApiError(event.data.status, event.data);
      }
    }
    if (!finished) throw new Error("The answer stream ended before the answer was complete.");
  } catch (error) {
    if (running === controller) showError(out, error);
  } finally {
    if (running === controller) {
      running = null;
      button.disabled = false;
    }
  }
}

/** The answer text before its first kept sentence: e.g. "The articles don't say why …: What they do say:".
 *  Uses the answer's own `preface` field when the server sends one. */
function prefaceOf(answer, kept) {
  if (typeof answer.preface === "string") return answer.preface;
  const text = answer.answer || "";
  if (!kept.length) return answer.answerable ? "" : text;
  const at = text.indexOf(kept[0].text);
  return at > 0 ? text.slice(0, at).trim() : "";
}

export function renderAnswer(answer) {
  const set = new CitationSet();
  const sentences = Array.isArray(answer.sentences) && answer.sentences.length
    ? answer.sentences
    : answer.answerable && answer.answer
      ? [{ text: answer.answer, supported: true, citations: answer.citations || [] }]
      : [];
  const kept = sentences.filter((s) => s.supported !== false);
  const abstained = answer.answerable === false;
  const card = el("article", {
    className: abstained ? "answer-card abstained" : "answer-card",
    "aria-label": abstained ? "No answer in the articles" : "Answer",
    dataset: { answerable: String(!abstained) },
  });
  const preface = prefaceOf(answer, kept);
  if (abstained) {
    card.append(el("p", { className: "preface" }, el("span", { className: "label" }, "Not answered"),
      preface || "The articles don't say."));
  } else if (preface) {
    card.append(el("p", { className: "preface" }, preface));
  }
  if (!abstained && answer.short_answer) {
    card.append(el("p", { className: "short-answer" }, el("span", { className: "label" }, "Short answer"),
      el("strong", {}, answer.short_answer)));
  }
  if (sentences.length) {
    if (abstained && !preface.trim().endsWith(":")) {
      card.append(el("h3", { className: "evidence-heading" }, "The nearest evidence in the articles"));
    }
    const p = el("p", { className: "sentences" });
    let emphasise = abstained ? null : answer.short_answer;
    for (const s of sentences) {
      p.append(citedText(s, set, { emphasise }), " ");
      if (emphasise && s.text.includes(emphasise)) emphasise = null;
    }
    card.append(p);
  }
  card.append(metaLine(answer, sentences));
  const explain = explanation(answer.explain);
  if (explain) card.append(explain);
  return card;
}

function metaLine(answer, sentences) {
  const dropped = sentences.filter((s) => s.supported === false).length;
  const parts = [`Generator: ${answer.generator || "extractive"}`];
  if (answer.fallback) parts.push("the LLM's answer could not be verified, so the extractive answer is shown");
  if (dropped) parts.push(`${dropped} unsupported sentence(s) struck out and left out of the answer`);
  if (answer.reason) parts.push(`reason: ${answer.reason}`);
  return el("p", { className: "meta-line" }, parts.join(" · "));
}

/** `explain` data, whatever its shape: a definition list of its fields, values as text. */
function explanation(explain) {
  if (explain === undefined || explain === null) return null;
  const list = el("dl");
  const entries = typeof explain === "object" && !Array.isArray(explain) ? Object.entries(explain) : [["", explain]];
  for (const [name, value] of entries) {
    list.append(el("dt", {}, name || "details"), el("dd", {}, typeof value === "string" ? value : JSON.stringify(value)));
  }
  return el("details", { className: "explain" }, el("summary", {}, "How this answer was found"), list);
}

export function initAsk() {
  const form = byId("ask-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    ask(form);
  });
}
