// kubelite dashboard: Shared by every page: DOM building, calls to the backend, formatting, the resources the UI
// knows and their API paths, and the live watch stream.
"use strict";

// ------------------------------------------------------------------------------------------- helpers

/** Build a DOM element: h("td", {class: "x"}, "text", childNode, [more]). Text is never parsed as HTML. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el[k] = v;  // a property, not a listener: morph() carries it to the live node
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

const HANDLERS = ["onclick", "onchange", "onkeydown", "oninput"];

/** Make the live node `old` look like the freshly built `neu`, changing only what differs, so that a
 * redraw from a watch event does not replace the element under the user's pointer (a click whose
 * press and release land on two different elements is no click), nor lose hover, focus or selection.
 * Children carrying data-name (table rows) are matched by it, others by position. */
function morph(old, neu) {
  if (old.nodeType !== neu.nodeType || old.nodeName !== neu.nodeName) {
    old.replaceWith(neu);
    return;
  }
  if (old.nodeType !== Node.ELEMENT_NODE) {
    if (old.nodeValue !== neu.nodeValue) old.nodeValue = neu.nodeValue;
    return;
  }
  for (const a of [...old.attributes]) if (!neu.hasAttribute(a.name)) old.removeAttribute(a.name);
  for (const a of [...neu.attributes]) if (old.getAttribute(a.name) !== a.value) old.setAttribute(a.name, a.value);
  for (const ev of HANDLERS) if (old[ev] !== neu[ev]) old[ev] = neu[ev];
  morphChildren(old, [...neu.childNodes]);
}

/** Make `parent`'s children look like `wanted` (nodes not in the document), reusing what it can. */
function morphChildren(parent, wanted) {
  const keyOf = (n) => (n.nodeType === Node.ELEMENT_NODE ? n.getAttribute("data-name") : null);
  const keyed = wanted.length > 0 && wanted.every((n) => keyOf(n) !== null);
  const byKey = new Map();
  if (keyed) for (const n of parent.childNodes) if (keyOf(n) !== null) byKey.set(keyOf(n), n);
  let index = 0;
  for (const want of wanted) {
    const current = parent.childNodes[index];
    const match = keyed ? byKey.get(keyOf(want)) : current;
    if (match && match.nodeName === want.nodeName) {
      if (match !== current) parent.insertBefore(match, current || null);
      if (keyed) byKey.delete(keyOf(want));
      morph(match, want);
    } else {
      parent.insertBefore(want, current || null);
    }
    index += 1;
  }
  while (parent.childNodes.length > wanted.length) parent.lastChild.remove();
}

function flash(message, isError) {
  const el = document.getElementById("flash");
  el.textContent = message;
  el.className = isError ? "error" : "";
  el.hidden = false;
  clearTimeout(flash.timer);
  flash.timer = setTimeout(() => { el.hidden = true; }, isError ? 8000 : 3500);
}

/** Call the backend; JSON answers are decoded, a Status failure becomes an Error with its message. */
async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  let body = options.body;
  if (body !== undefined && typeof body !== "string") {
    body = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  const resp = await fetch(path, { method: options.method || "GET", headers, body, credentials: "same-origin" });
  const type = resp.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await resp.json() : await resp.text();
  if (!resp.ok) {
    const message = (data && data.message) || `${resp.status} ${resp.statusText}`;
    throw new Error(message);
  }
  return data;
}

async function act(what, fn) {
  try {
    await fn();
    flash(what);
  } catch (err) {
    flash(`${what} failed: ${err.message}`, true);
  }
}

function age(ts) {
  if (!ts) return "";
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

function badge(text, tone) { return h("span", { class: `badge ${tone || ""}` }, text); }

function table(id, columns, rows, emptyText) {
  if (!rows.length) return h("div", { class: "empty", id }, emptyText || "None.");
  return h("div", { class: "scroll" }, h("table", { id },
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { class: c.cls }, c.title)))),
    h("tbody", {}, rows.map((r) => h("tr", { "data-name": r.name }, columns.map((c, i) =>
      h("td", { class: c.cls }, r.cells[i])))))));
}

function panel(title, ...content) { return h("section", { class: "panel" }, h("h2", {}, title), content); }

// ------------------------------------------------------------------------------ resources and paths

const KINDS = {
  Pod: { group: "", version: "v1", plural: "pods", namespaced: true },
  Node: { group: "", version: "v1", plural: "nodes", namespaced: false },
  Namespace: { group: "", version: "v1", plural: "namespaces", namespaced: false },
  Service: { group: "", version: "v1", plural: "services", namespaced: true },
  Event: { group: "", version: "v1", plural: "events", namespaced: true },
  ReplicationController: { group: "", version: "v1", plural: "replicationcontrollers", namespaced: true },
  Deployment: { group: "apps", version: "v1", plural: "deployments", namespaced: true },
  ReplicaSet: { group: "apps", version: "v1", plural: "replicasets", namespaced: true },
  StatefulSet: { group: "apps", version: "v1", plural: "statefulsets", namespaced: true },
  DaemonSet: { group: "apps", version: "v1", plural: "daemonsets", namespaced: true },
  Job: { group: "batch", version: "v1", plural: "jobs", namespaced: true },
};

/** The API path of a kind's collection (namespace "" = all namespaces) or of one object. */
function kpath(kind, ns, name) {
  const k = KINDS[kind];
  let p = k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
  if (k.namespaced && ns) p += `/namespaces/${ns}`;
  p += `/${k.plural}`;
  if (name) p += `/${name}`;
  return p;
}

function detailLink(kind, ns, name, text) {
  if (!KINDS[kind]) return text || name;
  return h("a", { href: `#/detail${kpath(kind, ns, name)}`, class: "obj-link" }, text || name);
}

// ------------------------------------------------------------------------------------ live watches

/** One SSE stream watching several collections; keeps a Map of objects per path; calls onChange
 * (at most once per animation frame) when anything changed. */
class Live {
  constructor(paths, onChange) {
    this.stores = paths.map(() => new Map());
    this.errors = paths.map(() => null);
    this.synced = paths.map(() => false);
    this.onChange = onChange;
    this.pending = false;
    const query = paths.map((p) => `path=${encodeURIComponent(p)}`).join("&");
    this.source = new EventSource(`/api/watch?${query}`);
    const dot = document.getElementById("live");
    this.source.onopen = () => dot.classList.add("on");
    this.source.onerror = () => dot.classList.remove("on");
    this.source.onmessage = (e) => this.handle(JSON.parse(e.data));
  }
  handle(msg) {
    if (this.closed) return;
    const store = this.stores[msg.i];
    if (msg.type === "RESET") { store.clear(); this.errors[msg.i] = null; this.synced[msg.i] = false; }
    else if (msg.type === "SYNCED") this.synced[msg.i] = true;
    else if (msg.type === "ERROR") this.errors[msg.i] = msg.object;
    else {
      const m = msg.object.metadata || {};
      const key = m.uid || `${m.namespace}/${m.name}`;
      if (msg.type === "DELETED") store.delete(key); else store.set(key, msg.object);
    }
    if (!this.pending) {
      this.pending = true;
      // A page left since then must not draw over the next one (the frame outlives close()).
      requestAnimationFrame(() => { this.pending = false; if (!this.closed) this.onChange(); });
    }
  }
  items(i) {
    return [...this.stores[i].values()].sort((a, b) =>
      `${a.metadata.namespace || ""}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace || ""}/${b.metadata.name}`));
  }
  close() { this.closed = true; this.source.close(); }
}

// ------------------------------------------------------------------------------------------ dialog

/** A modal with `fields`; resolves to the form's values on OK, null on cancel. */
function dialog(title, fields) {
  const dlg = document.getElementById("dialog");
  document.getElementById("dialog-title").textContent = title;
  document.getElementById("dialog-body").replaceChildren(...fields);
  return new Promise((resolve) => {
    dlg.onclose = () => {
      if (dlg.returnValue !== "ok") return resolve(null);
      const values = {};
      for (const el of dlg.querySelectorAll("#dialog-body [name]")) values[el.name] = el.value;
      resolve(values);
    };
    dlg.returnValue = "";
    dlg.showModal();
  });
}
