// kubelite dashboard: a single page in plain JS, in a few files loaded in order by index.html (no build
// step): core.js, lists.js, detail.js, pod.js, create.js, then this file, which holds the page state and
// the router. Every call goes to this dashboard's own backend (/api/...), which answers through the
// Kubernetes API server. Lists are kept live by one server-sent-event stream per page (/api/watch).
"use strict";

// ------------------------------------------------------------------------------------ app state

const state = { live: null, cleanup: [], namespaces: [] };

function namespace() { return localStorage.getItem("kubelite.namespace") ?? "default"; }

function setNamespaces(items) {
  const names = items.map((n) => n.metadata.name);
  const select = document.getElementById("namespace");
  if (names.join() === state.namespaces.join()) return;
  state.namespaces = names;
  const current = namespace();
  select.replaceChildren(h("option", { value: "" }, "all namespaces"),
    ...names.map((n) => h("option", { value: n }, n)));
  if (current && !names.includes(current)) select.append(h("option", { value: current }, current));
  select.value = current;
}

function stopPage() {
  if (state.live) state.live.close();
  state.live = null;
  for (const fn of state.cleanup.splice(0)) fn();
}

/** Start a page that shows live lists: namespaces are always watched too (the selector stays live). */
function livePage(paths, render, into) {
  const main = into || document.getElementById("main");
  const all = [kpath("Namespace"), ...paths];
  const live = new Live(all, () => {
    // Until every list is whole, an empty table would say "none" when it means "loading".
    if (live.synced.some((done, i) => !done && !live.errors[i])) return;
    if (live.synced[0]) setNamespaces(live.items(0));
    const problems = live.errors.map((e, i) => e && h("p", { class: "problem" },
      `Cannot watch ${all[i]}: ${e.message || e.reason || "error"}`)).filter(Boolean);
    const drawn = [...problems, render((i) => live.items(i + 1), live)].flat(Infinity)
      .filter((n) => n !== undefined && n !== null && n !== false && n !== "")
      .map((n) => (n instanceof Node ? n : document.createTextNode(String(n))));
    morphChildren(main, drawn);
  });
  state.live = live;
  main.replaceChildren(h("p", { class: "muted" }, "Loading…"));
}

// ------------------------------------------------------------------------------------------ router

function route() {
  stopPage();
  document.getElementById("flash").hidden = true;
  const hash = decodeURIComponent(location.hash.replace(/^#/, "")) || "/overview";
  const [, page, ...rest] = hash.split("/");
  for (const a of document.querySelectorAll("header nav a")) a.classList.toggle("active", a.dataset.page === page);
  if (page === "workloads") workloads();
  else if (page === "services") services();
  else if (page === "detail") detail("/" + rest.join("/"));
  else if (page === "logs") logs(rest[0], rest[1], rest[2]);
  else if (page === "exec") execPage(rest[0], rest[1], rest[2]);
  else if (page === "create") createPage();
  else overview();
}

document.getElementById("namespace").addEventListener("change", (e) => {
  localStorage.setItem("kubelite.namespace", e.target.value);
  route();
});
window.addEventListener("hashchange", route);
api(`/api/k8s${kpath("Namespace")}`).then((list) => setNamespaces(list.items)).catch(() => {});
route();
