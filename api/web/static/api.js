// The JSON API, from the page: bearer key handling, problem+json errors, and Server-Sent Events over fetch
// (EventSource can't POST). Paths are relative ("v1/ask"), so the page also works under a path prefix.

import { byId } from "./dom.js";

const KEY_STORE = "newsqa.apiKey";
export const authRequired = document.body.dataset.authRequired === "true";

export class ApiError extends Error {
  constructor(status, problem) {
    super(describe(status, problem));
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
  }
}

function describe(status, problem) {
  if (!problem || typeof problem !== "object") return `Request failed (${status}).`;
  let text = problem.detail ? `${problem.title || "Error"}: ${problem.detail}` : problem.title || `Error ${status}`;
  if (Array.isArray(problem.errors) && problem.errors.length) {
    text = problem.errors.map((e) => `${(e.loc || []).filter((p) => p !== "body").join(".")}: ${e.msg}`).join("\n");
  }
  return text;
}

// --- the API key: asked for in a dialog, kept in sessionStorage (this tab only), never put in a URL ----------
export const storedKey = () => sessionStorage.getItem(KEY_STORE);

let pendingKey = null; // one dialog however many requests got a 401 at once

export function askForKey(message) {
  if (pendingKey) return pendingKey;
  const dialog = byId("key-dialog");
  const input = byId("key-input");
  byId("key-message").textContent =
    message || "This service needs an API key. It is kept in this browser tab only (sessionStorage).";
  input.value = "";
  dialog.returnValue = "";
  pendingKey = new Promise((resolve, reject) => {
    dialog.addEventListener(
      "close",
      () => {
        const key = input.value.trim();
        input.value = "";
        if (dialog.returnValue === "ok" && key) {
          sessionStorage.setItem(KEY_STORE, key);
          resolve(key);
        } else {
          reject(new ApiError(401, { title: "API key needed", detail: "enter the service's API key to continue" }));
        }
      },
      { once: true },
    );
    dialog.showModal();
    input.focus();
  }).finally(() => {
    pendingKey = null;
  });
  return pendingKey;
}

export function initKeyDialog() {
  byId("key-cancel").addEventListener("click", () => byId("key-dialog").close("cancel"));
  const button = byId("key-button");
  button.hidden = !authRequired;
  button.addEventListener("click", () => askForKey("Enter the API key to use from now on.").catch(() => {}));
}

async function problemOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = { title: response.statusText || "Error", detail: `the server answered ${response.status}` };
  }
  return new ApiError(response.status, body);
}

/** fetch() with the key; on a 401 the key is asked for again and the request repeated. Throws ApiError. */
export async function request(path, options = {}) {
  if (authRequired && !storedKey()) await askForKey();
  for (;;) {
    const headers = new Headers(options.headers || {});
    const key = storedKey();
    if (key) headers.set("Authorization", `Bearer ${key}`);
    const response = await fetch(path, { ...options, headers, credentials: "same-origin", cache: "no-store" });
    if (response.status === 401) {
      sessionStorage.removeItem(KEY_STORE);
      await askForKey(key ? "That key was refused. Enter a valid API key." : undefined);
      continue;
    }
    if (!response.ok) throw await problemOf(response);
    return response;
  }
}

export async function getJSON(path, options = {}) {
  const response = await request(path, options);
  return response.json();
}

export async function postJSON(path, body, options = {}) {
  const response = await request(path, {
    ...options,
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", ...(options.headers || {}) },
    body: JSON.stringify(body),
  });
  return response.json();
}

/** Query string from an object, skipping empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

// --- Server-Sent Events -------------------------------------------------------------------------------------
/** Lines of a text stream; a trailing "\r" waits for the next chunk (it may be half of "\r\n"). */
async function* lines(stream) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let done = false;
  while (!done) {
    const chunk = await reader.read();
    done = chunk.done;
    if (chunk.value) buffer += chunk.value;
    const breaks = /\r\n|\r|\n/g;
    let start = 0;
    let m;
    while ((m = breaks.exec(buffer)) !== null) {
      if (m[0] === "\r" && m.index === buffer.length - 1 && !done) break;
      yield buffer.slice(start, m.index);
      start = m.index + m[0].length;
    }
    buffer = buffer.slice(start);
  }
  if (buffer) yield buffer;
  yield "";
}

/** The events of an SSE response as {event, data} with data parsed as JSON. */
export async function* events(response) {
  let name = "message";
  let data = [];
  for await (const line of lines(response.body)) {
    if (line === "") {
      if (data.length) yield { event: name, data: JSON.parse(data.join("\n")) };
      name = "message";
      data = [];
    } else if (line.startsWith(":")) {
      // a comment: sse-starlette's keep-alive ping
    } else {
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") name = value;
      else if (field === "data") data.push(value);
    }
  }
}
