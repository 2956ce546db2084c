// Building DOM from data. Everything that came from the server (titles, article text, quotes, answers) goes in
// as text nodes or properties: nothing here parses HTML, so markup inside an article can never run.

/** el("p", {className: "x", dataset: {id: "1"}, "aria-label": "y"}, "text", childNode, ...) */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "className" || name === "id" || name === "type" || name === "tabIndex" || name === "hidden")
      node[name] = value;
    else if (name.startsWith("on") && typeof value === "function")
      node.addEventListener(name.slice(2).toLowerCase(), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, ...children);
  return node;
}

/** Append strings (as text) and nodes; null/undefined/false are skipped. */
export function append(node, ...children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const byId = (id) => document.getElementById(id);

/** A link only for web addresses: an article's url field is user data and could say "javascript:...". */
export function safeLink(url, text) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
  return el("a", { href: parsed.href, rel: "noopener noreferrer nofollow", target: "_blank" }, text ?? parsed.href);
}

/** "2025-03-04" as "4 Mar 2025" (dates are plain days: no time zone shift). */
export function formatDay(day) {
  if (!day) return "";
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(day);
  if (!m) return String(day);
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  return `${Number(m[3])} ${months[Number(m[2]) - 1]} ${m[1]}`;
}

/** Show an error inside a result area (role=alert so screen readers announce it). */
export function showError(container, error) {
  container.replaceChildren(el("p", { className: "notice", role: "alert" }, messageOf(error)));
}

export function messageOf(error) {
  if (error && error.name === "AbortError") return "Cancelled.";
  return (error && error.message) || String(error);
}

/** A yes/no question in the page's own <dialog> (not window.confirm). Resolves true for yes. */
export function confirmDialog(message, yesLabel = "Delete") {
  const dialog = byId("confirm-dialog");
  byId("confirm-message").textContent = message;
  byId("confirm-ok").textContent = yesLabel;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
  });
}

/** Copy text: the async clipboard where the page is a secure context, else a selected textarea. */
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // fall through to the selection-based copy
    }
  }
  const area = el("textarea", { className: "visually-hidden", "aria-hidden": "true" });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } finally {
    area.remove();
  }
  return ok;
}

/** Form fields as an object of trimmed non-empty strings. */
export function formValues(form) {
  const out = {};
  for (const [name, value] of new FormData(form)) {
    if (typeof value === "string" && value.trim() !== "") out[name] = value.trim();
  }
  return out;
}
