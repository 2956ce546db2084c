// Entry point: tabs (#ask, #articles, #briefings in the address, so Back and links work) and start-up.

import { authRequired, askForKey, initKeyDialog, storedKey } from "./api.js";
import { initArticles, loadArticles } from "./articles.js";
import { initAsk } from "./ask.js";
import { initBriefings } from "./briefings.js";
import { byId } from "./dom.js";
import { initReader } from "./reader.js";

const VIEWS = ["ask", "articles", "briefings"];
let articlesLoaded = false;

function show(name) {
  const view = VIEWS.includes(name) ? name : "ask";
  for (const v of VIEWS) byId(`view-${v}`).hidden = v !== view;
  document.querySelectorAll(".tabs a").forEach((a) => {
    if (a.dataset.view === view) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  });
  if (view === "articles" && !articlesLoaded) {
    articlesLoaded = true;
    loadArticles();
  }
  if (view === "ask") byId("question").focus({ preventScroll: true });
}

function route() {
  show(location.hash.slice(1));
}

function start() {
  initKeyDialog();
  initReader();
  initAsk();
  initArticles();
  initBriefings();
  // Files dropped outside the drop zone must not make the browser navigate to them.
  for (const type of ["dragover", "drop"]) window.addEventListener(type, (event) => event.preventDefault());
  window.addEventListener("hashchange", route);
  route();
  if (authRequired && !storedKey()) askForKey().catch(() => {});
}

start();
