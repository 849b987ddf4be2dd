// kubelite dashboard: a single page in plain JS. Every call goes to this dashboard's own backend
// (/api/...), which answers through the Kubernetes API server. Lists are kept live by one
// server-sent-event stream per page (/api/watch), fed by the API server's watches.
"use strict";

// ------------------------------------------------------------------------------------------- helpers

/** Build a DOM element: h("td", {class: "x"}, "text", childNode, [more]). Text is never parsed as HTML. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
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
      requestAnimationFrame(() => { this.pending = false; this.onChange(); });
    }
  }
  items(i) {
    return [...this.stores[i].values()].sort((a, b) =>
      `${a.metadata.namespace || ""}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace || ""}/${b.metadata.name}`));
  }
  close() { this.source.close(); }
}

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
    main.replaceChildren(...problems, ...[render((i) => live.items(i + 1), live)].flat());
  });
  state.live = live;
  main.replaceChildren(h("p", { class: "muted" }, "Loading…"));
}

// ---------------------------------------------------------------------------------------- overview

function podPhase(p) {
  if (p.metadata.deletionTimestamp) return "Terminating";
  for (const cs of p.status?.containerStatuses || []) {
    const w = cs.state?.waiting?.reason;
    if (w && w !== "ContainerCreating") return w;
  }
  return p.status?.phase || "Pending";
}

function phaseTone(s) {
  if (s === "Running" || s === "Succeeded" || s === "Ready" || s === "True") return "ok";
  if (s === "Pending" || s === "Terminating" || s === "ContainerCreating" || s === "Unknown") return "warn";
  return "bad";
}

function nodeReady(n) {
  const c = (n.status?.conditions || []).find((x) => x.type === "Ready");
  return c ? (c.status === "True" ? "Ready" : "NotReady") : "Unknown";
}

/** A quantity as a number: CPU in cores ("250m" -> 0.25), memory in bytes ("64Mi" -> 67108864). */
function quantity(q) {
  if (q === undefined || q === null) return 0;
  const m = String(q).match(/^([0-9.]+(?:[eE][-+]?[0-9]+)?)([a-zA-Z]*)$/);
  if (!m) return 0;
  const units = { "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30,
    Ti: 2 ** 40, Pi: 2 ** 50 };
  return parseFloat(m[1]) * (units[m[2]] ?? 1);
}

function bytes(n) {
  for (const [unit, size] of [["Gi", 2 ** 30], ["Mi", 2 ** 20], ["Ki", 2 ** 10]]) {
    if (n >= size) return `${+(n / size).toFixed(1)}${unit}`;
  }
  return `${n}`;
}

function cores(n) { return n < 1 && n > 0 ? `${Math.round(n * 1000)}m` : `${+n.toFixed(2)}`; }

function percent(part, whole) { return whole > 0 ? ` (${Math.round((100 * part) / whole)}%)` : ""; }

/** What the pods placed on each node request, as `kubectl describe node` sums it (running pods only). */
function requestsByNode(pods) {
  const out = {};
  for (const p of pods) {
    const node = p.spec?.nodeName;
    if (!node || p.status?.phase === "Succeeded" || p.status?.phase === "Failed") continue;
    const r = out[node] || (out[node] = { cpu: 0, memory: 0, pods: 0 });
    r.pods += 1;
    for (const c of p.spec?.containers || []) {
      r.cpu += quantity(c.resources?.requests?.cpu);
      r.memory += quantity(c.resources?.requests?.memory);
    }
  }
  return out;
}

function overview() {
  const ns = namespace();
  // Pods of every namespace are watched: a node's load does not depend on the namespace shown.
  livePage([kpath("Node"), kpath("Pod", ""), kpath("Event", ns)], (items) => {
    const [nodes, allPods, events] = [items(0), items(1), items(2)];
    const pods = ns ? allPods.filter((p) => p.metadata.namespace === ns) : allPods;
    const phases = { Running: 0, Pending: 0, Succeeded: 0, Failed: 0, Unknown: 0 };
    for (const p of pods) phases[p.status?.phase || "Pending"] = (phases[p.status?.phase || "Pending"] || 0) + 1;
    const cards = h("div", { class: "cards", id: "pod-phases" }, Object.entries(phases).map(([k, v]) =>
      h("div", { class: "card", "data-phase": k }, h("div", { class: "n" }, v), h("div", { class: "l" }, `${k} pods`))));
    const load = requestsByNode(allPods);
    const nodeRows = nodes.map((n) => {
      const cap = n.status?.capacity || {}, alloc = n.status?.allocatable || {};
      const used = load[n.metadata.name] || { cpu: 0, memory: 0, pods: 0 };
      const ready = nodeReady(n);
      const cpuAlloc = quantity(alloc.cpu), memAlloc = quantity(alloc.memory), podsAlloc = quantity(alloc.pods);
      const cell = (main, sub) => [main, h("div", { class: "sub" }, sub)];
      return { name: n.metadata.name, cells: [detailLink("Node", "", n.metadata.name), badge(ready, phaseTone(ready)),
        cell(`${cores(used.cpu)} / ${cores(cpuAlloc)}${percent(used.cpu, cpuAlloc)}`, `capacity ${cap.cpu ?? "?"}`),
        cell(`${bytes(used.memory)} / ${bytes(memAlloc)}${percent(used.memory, memAlloc)}`,
          `capacity ${bytes(quantity(cap.memory))}`),
        cell(`${used.pods} / ${alloc.pods ?? "?"}${percent(used.pods, podsAlloc)}`, `capacity ${cap.pods ?? "?"}`),
        age(n.metadata.creationTimestamp)] };
    });
    const warnings = events.filter((e) => e.type === "Warning")
      .sort((a, b) => Date.parse(evTime(b)) - Date.parse(evTime(a))).slice(0, 20);
    const eventRows = warnings.map((e) => ({ name: e.metadata.name, cells: [age(evTime(e)),
      detailLink(e.involvedObject?.kind, e.involvedObject?.namespace, e.involvedObject?.name,
        `${(e.involvedObject?.kind || "").toLowerCase()}/${e.involvedObject?.name}`),
      e.reason, h("span", {}, e.message || ""), e.count || 1] }));
    return [
      h("h2", {}, "Pods by phase", ns ? ` in ${ns}` : " in all namespaces"), cards,
      panel(`Nodes (${nodes.length})`, table("nodes", [{ title: "Name" }, { title: "Status" },
        { title: "CPU requested / allocatable" }, { title: "Memory requested / allocatable" },
        { title: "Pods / allocatable" },
        { title: "Age", cls: "hide-sm" }], nodeRows, "No nodes have joined.")),
      panel("Recent warning events", table("warnings", [{ title: "Age" }, { title: "Object" }, { title: "Reason" },
        { title: "Message", cls: "wrap" }, { title: "Count", cls: "hide-sm" }], eventRows, "No warnings.")),
    ];
  });
}

function evTime(e) { return e.lastTimestamp || e.eventTime || e.firstTimestamp || e.metadata.creationTimestamp; }

// --------------------------------------------------------------------------------------- workloads

function scaleDialog(kind, obj) {
  return dialog(`Scale ${kind.toLowerCase()} ${obj.metadata.name}`, [
    h("label", {}, "Replicas ", h("input", { type: "number", min: "0", name: "replicas", id: "replicas",
      value: obj.spec?.replicas ?? 1, required: true })),
  ]).then((form) => {
    if (!form) return;
    const replicas = parseInt(form.replicas, 10);
    act(`Scaled ${obj.metadata.name} to ${replicas}`, () => api("/api/scale", { method: "POST",
      body: { kind, namespace: obj.metadata.namespace, name: obj.metadata.name, replicas } }));
  });
}

function deleteObject(kind, obj) {
  return dialog(`Delete ${kind.toLowerCase()} ${obj.metadata.name}?`, [
    h("p", {}, `${kind} ${obj.metadata.namespace ? obj.metadata.namespace + "/" : ""}${obj.metadata.name} will be deleted.`),
  ]).then((form) => {
    if (!form) return;
    act(`Deleted ${obj.metadata.name}`, () =>
      api(`/api/k8s${kpath(kind, obj.metadata.namespace, obj.metadata.name)}`, { method: "DELETE" }));
  });
}

function workloadActions(kind, obj) {
  const m = obj.metadata, target = { namespace: m.namespace, name: m.name };
  const buttons = [];
  if (["Deployment", "ReplicaSet", "ReplicationController", "StatefulSet"].includes(kind)) {
    buttons.push(h("button", { class: "scale", onclick: () => scaleDialog(kind, obj) }, "Scale"));
  }
  if (kind === "Deployment") {
    buttons.push(h("button", { class: "restart", onclick: () => act(`Restarted ${m.name}`,
      () => api("/api/restart", { method: "POST", body: target })) }, "Restart"));
    buttons.push(h("button", { class: "undo", onclick: () => act(`Rolled back ${m.name}`,
      () => api("/api/undo", { method: "POST", body: target })) }, "Undo"));
  }
  if (kind === "Pod") {
    buttons.push(h("a", { class: "button logs", href: `#/logs/${m.namespace}/${m.name}` }, "Logs"));
    buttons.push(h("a", { class: "button exec", href: `#/exec/${m.namespace}/${m.name}` }, "Exec"));
  }
  buttons.push(h("button", { class: "danger delete", onclick: () => deleteObject(kind, obj) }, "Delete"));
  return h("div", { class: "actions" }, buttons);
}

function readyOf(pod) {
  const cs = pod.status?.containerStatuses || [];
  const total = (pod.spec?.containers || []).length;
  return `${cs.filter((c) => c.ready).length}/${total}`;
}

function restartsOf(pod) {
  return (pod.status?.containerStatuses || []).reduce((n, c) => n + (c.restartCount || 0), 0);
}

function workloads() {
  const ns = namespace();
  const nsCol = ns ? [] : [{ title: "Namespace" }];
  const nsCell = (o) => (ns ? [] : [o.metadata.namespace]);
  livePage([kpath("Deployment", ns), kpath("ReplicaSet", ns), kpath("ReplicationController", ns), kpath("Pod", ns)],
    (items) => {
      const [deps, rss, rcs, pods] = [items(0), items(1), items(2), items(3)];
      const depRows = deps.map((d) => {
        const want = d.spec?.replicas ?? 1, s = d.status || {};
        return { name: d.metadata.name, cells: [detailLink("Deployment", d.metadata.namespace, d.metadata.name),
          ...nsCell(d), badge(`${s.readyReplicas || 0}/${want}`, (s.readyReplicas || 0) === want ? "ok" : "warn"),
          s.updatedReplicas || 0, s.availableReplicas || 0, age(d.metadata.creationTimestamp),
          workloadActions("Deployment", d)] };
      });
      const setRows = (kind, list) => list.map((r) => {
        const want = r.spec?.replicas ?? 1, s = r.status || {};
        return { name: r.metadata.name, cells: [detailLink(kind, r.metadata.namespace, r.metadata.name), ...nsCell(r),
          want, s.replicas || 0, badge(`${s.readyReplicas || 0}`, (s.readyReplicas || 0) === want ? "ok" : "warn"),
          age(r.metadata.creationTimestamp), workloadActions(kind, r)] };
      });
      const podRows = pods.map((p) => {
        const phase = podPhase(p);
        return { name: p.metadata.name, cells: [detailLink("Pod", p.metadata.namespace, p.metadata.name), ...nsCell(p),
          readyOf(p), badge(phase, phaseTone(phase)), restartsOf(p), p.spec?.nodeName || "",
          p.status?.podIP || "", age(p.metadata.creationTimestamp), workloadActions("Pod", p)] };
      });
      const setCols = [{ title: "Name" }, ...nsCol, { title: "Desired" }, { title: "Current" }, { title: "Ready" },
        { title: "Age", cls: "hide-sm" }, { title: "" }];
      return [
        panel(`Deployments (${deps.length})`, table("deployments", [{ title: "Name" }, ...nsCol, { title: "Ready" },
          { title: "Up-to-date" }, { title: "Available" }, { title: "Age", cls: "hide-sm" }, { title: "" }], depRows)),
        panel(`Replica sets (${rss.length})`, table("replicasets", setCols, setRows("ReplicaSet", rss))),
        panel(`Replication controllers (${rcs.length})`,
          table("replicationcontrollers", setCols, setRows("ReplicationController", rcs))),
        panel(`Pods (${pods.length})`, table("pods", [{ title: "Name" }, ...nsCol, { title: "Ready" },
          { title: "Status" }, { title: "Restarts" }, { title: "Node", cls: "hide-sm" }, { title: "IP", cls: "hide-sm" },
          { title: "Age", cls: "hide-sm" }, { title: "" }], podRows)),
      ];
    });
}

// ---------------------------------------------------------------------------------------- services

function nodeAddress(nodes) {
  for (const n of nodes) {
    const a = (n.status?.addresses || []).find((x) => x.type === "InternalIP") || (n.status?.addresses || [])[0];
    if (a) return a.address;
  }
  return "";
}

function serviceLinks(svc, nodeIP) {
  const links = [];
  const seen = new Set();
  const add = (host, port) => {
    const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}/`;
    if (!host || seen.has(url)) return;
    seen.add(url);
    links.push(h("a", { href: url, target: "_blank", rel: "noopener", class: "open" }, `${host}:${port}`));
  };
  const ingress = (svc.status?.loadBalancer?.ingress || []).map((i) => i.ip || i.hostname).filter(Boolean);
  for (const port of svc.spec?.ports || []) {
    if ((port.protocol || "TCP") !== "TCP") continue;
    for (const ip of [...ingress, ...(svc.spec?.externalIPs || [])]) add(ip, port.port);
    if (port.nodePort && nodeIP) add(nodeIP, port.nodePort);
    if (svc.spec?.clusterIP && svc.spec.clusterIP !== "None") add(svc.spec.clusterIP, port.port);
  }
  return h("div", { class: "actions" }, links.map((l) => [l, " "]));
}

function services() {
  const ns = namespace();
  livePage([kpath("Service", ns), kpath("Node")], (items) => {
    const [svcs, nodes] = [items(0), items(1)];
    const nodeIP = nodeAddress(nodes);
    const rows = svcs.map((s) => {
      const ports = (s.spec?.ports || []).map((p) =>
        `${p.port}${p.nodePort ? ":" + p.nodePort : ""}/${p.protocol || "TCP"}`).join(", ");
      const external = [...(s.status?.loadBalancer?.ingress || []).map((i) => i.ip || i.hostname),
        ...(s.spec?.externalIPs || [])].join(", ") || (s.spec?.type === "LoadBalancer" ? "<pending>" : "<none>");
      return { name: s.metadata.name, cells: [detailLink("Service", s.metadata.namespace, s.metadata.name),
        ...(ns ? [] : [s.metadata.namespace]), s.spec?.type || "ClusterIP", s.spec?.clusterIP || "", external, ports,
        serviceLinks(s, nodeIP), h("div", { class: "actions" },
          h("button", { class: "danger delete", onclick: () => deleteObject("Service", s) }, "Delete"))] };
    });
    return panel(`Services (${svcs.length})`, table("services", [{ title: "Name" },
      ...(ns ? [] : [{ title: "Namespace" }]), { title: "Type" }, { title: "Cluster IP" }, { title: "External IPs" },
      { title: "Ports" }, { title: "Open" }, { title: "" }], rows));
  });
}

// ------------------------------------------------------------------------------------------ detail

function kindOfPath(path) {
  const parts = path.split("/").filter(Boolean);
  const plural = parts[parts.length - 2];
  return Object.keys(KINDS).find((k) => KINDS[k].plural === plural);
}

function ownedBy(parent, child) {
  return (child.metadata.ownerReferences || []).some((r) => r.uid === parent.metadata.uid);
}

function selects(selector, labels) {
  const entries = Object.entries(selector || {});
  return entries.length > 0 && entries.every(([k, v]) => (labels || {})[k] === v);
}

/** What a detail page lists below an object: what it owns, runs or selects. */
const CHILDREN = {
  Deployment: { kind: "ReplicaSet", title: "Replica sets", of: ownedBy },
  ReplicaSet: { kind: "Pod", title: "Pods", of: ownedBy },
  ReplicationController: { kind: "Pod", title: "Pods", of: ownedBy },
  StatefulSet: { kind: "Pod", title: "Pods", of: ownedBy },
  DaemonSet: { kind: "Pod", title: "Pods", of: ownedBy },
  Job: { kind: "Pod", title: "Pods", of: ownedBy },
  Node: { kind: "Pod", title: "Pods on this node", of: (node, pod) => pod.spec?.nodeName === node.metadata.name },
  Service: { kind: "Pod", title: "Pods selected", of: (svc, pod) => selects(svc.spec?.selector, pod.metadata.labels) },
};

function childrenTable(kind, list) {
  const rowsOf = list.map((c) => {
    const status = kind === "Pod" ? podPhase(c) : `${c.status?.readyReplicas || 0}/${c.spec?.replicas ?? 0} ready`;
    return { name: c.metadata.name, cells: [detailLink(kind, c.metadata.namespace, c.metadata.name),
      kind === "Pod" ? badge(status, phaseTone(status)) : status,
      kind === "Pod" ? readyOf(c) : (c.metadata.annotations || {})["deployment.kubernetes.io/revision"] || "",
      age(c.metadata.creationTimestamp)] };
  });
  return table("children", [{ title: "Name" }, { title: "Status" }, { title: kind === "Pod" ? "Ready" : "Revision" },
    { title: "Age" }], rowsOf, "None.");
}

function containersTable(pod) {
  const statuses = Object.fromEntries((pod.status?.containerStatuses || []).map((c) => [c.name, c]));
  const m = pod.metadata;
  return table("containers", [{ title: "Name" }, { title: "Image" }, { title: "State" }, { title: "Ready" },
    { title: "Restarts" }, { title: "" }], (pod.spec?.containers || []).map((c) => {
    const st = statuses[c.name] || {};
    const [state, detailOf] = Object.entries(st.state || {})[0] || ["waiting", {}];
    const words = detailOf.reason ? `${state} (${detailOf.reason})` : state;
    return { name: c.name, cells: [c.name, c.image, badge(words, state === "running" ? "ok" : "warn"),
      st.ready ? "yes" : "no", st.restartCount || 0, h("div", { class: "actions" },
        h("a", { class: "button", href: `#/logs/${m.namespace}/${m.name}/${c.name}` }, "Logs"),
        h("a", { class: "button", href: `#/exec/${m.namespace}/${m.name}/${c.name}` }, "Exec"))] };
  }));
}

function detail(path) {
  const parts = path.split("/").filter(Boolean);
  const name = parts[parts.length - 1];
  const nsIndex = parts.indexOf("namespaces");
  const ns = nsIndex >= 0 && nsIndex < parts.length - 2 ? parts[nsIndex + 1] : "";
  const kind = kindOfPath(path);
  const collection = "/" + parts.slice(0, -1).join("/");
  // The YAML sits outside the live redraws: a node's heartbeat would otherwise reset its scrolling.
  let yamlFor = "";
  const yaml = h("pre", { class: "yaml", id: "yaml" }, "Loading…");
  const yamlPanel = panel("YAML", yaml);
  yamlPanel.hidden = true;
  const liveArea = h("div", { id: "detail-live" });
  document.getElementById("main").replaceChildren(liveArea, yamlPanel);
  const watchPaths = [collection, kpath("Event", ns)];
  const children = CHILDREN[kind];
  if (children) watchPaths.push(kpath(children.kind, kind === "Node" ? "" : ns));
  livePage(watchPaths, (items) => {
    const obj = items(0).find((o) => o.metadata.name === name);
    yamlPanel.hidden = !obj;
    if (!obj) return h("p", { id: "gone" }, `${kind || "Object"} ${name} does not exist (any more).`);
    const m = obj.metadata;
    if (yamlFor !== m.resourceVersion) {
      yamlFor = m.resourceVersion;
      api(`/api/yaml${path}`).then((t) => { yaml.textContent = t; }).catch((e) => { yaml.textContent = e.message; });
    }
    const events = items(1).filter((e) => e.involvedObject?.uid === m.uid ||
      (e.involvedObject?.name === m.name && e.involvedObject?.kind === kind))
      .sort((a, b) => Date.parse(evTime(b)) - Date.parse(evTime(a))).slice(0, 15);
    const conditions = obj.status?.conditions || [];
    const owners = (m.ownerReferences || []).map((o) => [detailLink(o.kind, m.namespace, o.name, `${o.kind}/${o.name}`), " "]);
    const kv = (k, v) => [h("dt", {}, k), h("dd", {}, v)];
    const labels = Object.entries(m.labels || {}).map(([k, v]) => [badge(`${k}=${v}`), " "]);
    const summary = [kv("Kind", kind || obj.kind), kv("Name", m.name), m.namespace ? kv("Namespace", m.namespace) : [],
      kv("Created", `${m.creationTimestamp} (${age(m.creationTimestamp)} ago)`), kv("Labels", labels.length ? labels : "none"),
      kv("Owners", owners.length ? owners : "none")];
    if (kind === "Pod") {
      summary.push(kv("Status", badge(podPhase(obj), phaseTone(podPhase(obj)))), kv("Node", obj.spec?.nodeName || ""),
        kv("IP", obj.status?.podIP || ""));
    }
    if (obj.spec?.template) {
      const selector = obj.spec.selector?.matchLabels || obj.spec.selector || {};
      summary.push(kv("Replicas", `${obj.status?.readyReplicas || 0} ready of ${obj.spec.replicas ?? 1} wanted`),
        kv("Selector", Object.entries(selector).map(([k, v]) => [badge(`${k}=${v}`), " "])),
        kv("Images", (obj.spec.template.spec?.containers || []).map((c) => c.image).join(", ")));
    }
    if (kind === "Service") {
      summary.push(kv("Type", obj.spec?.type || "ClusterIP"), kv("Cluster IP", obj.spec?.clusterIP || ""),
        kv("Selector", Object.entries(obj.spec?.selector || {}).map(([k, v]) => [badge(`${k}=${v}`), " "])));
    }
    const acts = ["Deployment", "ReplicaSet", "ReplicationController", "Pod", "Service", "StatefulSet"].includes(kind)
      ? workloadActions(kind, obj) : "";
    return [
      h("h2", {}, `${kind || obj.kind} ${m.name}`),
      panel("Summary", h("div", { class: "toolbar" }, acts,
        h("button", { class: "edit", onclick: () => editObject(path) }, "Edit")),
      h("dl", { class: "kv", id: "summary" }, summary)),
      panel("Conditions", table("conditions", [{ title: "Type" }, { title: "Status" }, { title: "Reason" },
        { title: "Message", cls: "wrap" }, { title: "Last transition", cls: "hide-sm" }],
      conditions.map((c) => ({ name: c.type, cells: [c.type, badge(c.status, c.status === "True" ? "ok" : "warn"),
        c.reason || "", c.message || "", age(c.lastTransitionTime)] })), "No conditions.")),
      panel("Events", table("events", [{ title: "Age" }, { title: "Type" }, { title: "Reason" },
        { title: "Message", cls: "wrap" }], events.map((e) => ({ name: e.metadata.name, cells: [age(evTime(e)),
        badge(e.type, e.type === "Warning" ? "bad" : "ok"), e.reason, e.message || ""] })), "No events.")),
      kind === "Pod" ? panel("Containers", containersTable(obj)) : [],
      children ? panel(children.title, childrenTable(children.kind, items(2).filter((c) => children.of(obj, c)))) : [],
    ];
  }, liveArea);
}

// -------------------------------------------------------------------------------------------- logs

function podHeader(ns, pod, what) {
  return h("h2", {}, `${what}: pod `, detailLink("Pod", ns, pod, `${ns}/${pod}`));
}

async function containerSelect(ns, pod, current, onChange) {
  const select = h("select", { id: "container", onchange: (e) => onChange(e.target.value) });
  try {
    const p = await api(`/api/k8s${kpath("Pod", ns, pod)}`);
    for (const c of p.spec.containers) select.append(h("option", { value: c.name, selected: c.name === current }, c.name));
  } catch (err) {
    flash(err.message, true);
  }
  return select;
}

function logs(ns, pod, container) {
  const main = document.getElementById("main");
  const out = h("pre", { class: "logs", id: "logs" });
  const follow = h("input", { type: "checkbox", id: "follow", checked: true });
  const previous = h("input", { type: "checkbox", id: "previous" });
  const stamps = h("input", { type: "checkbox", id: "timestamps" });
  let controller = null;
  const start = (c) => {
    if (controller) controller.abort();
    controller = new AbortController();
    out.textContent = "";
    const q = new URLSearchParams({ namespace: ns, pod, follow: follow.checked && !previous.checked ? "1" : "0",
      tailLines: "1000", previous: previous.checked ? "1" : "0", timestamps: stamps.checked ? "1" : "0" });
    if (c) q.set("container", c);
    const decoder = new TextDecoder();
    fetch(`/api/logs?${q}`, { signal: controller.signal, credentials: "same-origin" }).then(async (resp) => {
      if (!resp.ok) {
        const data = await resp.json().catch(() => ({}));
        out.textContent = `Cannot read the log: ${data.message || resp.statusText}`;
        out.classList.add("error");
        return;
      }
      const reader = resp.body.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const atBottom = out.scrollTop + out.clientHeight >= out.scrollHeight - 8;
        out.append(decoder.decode(value, { stream: true }));
        if (atBottom) out.scrollTop = out.scrollHeight;
      }
    }).catch((err) => { if (err.name !== "AbortError") out.append(`\n[log stream ended: ${err.message}]`); });
  };
  let chosen = container || "";
  for (const box of [follow, previous, stamps]) box.addEventListener("change", () => start(chosen));
  state.cleanup.push(() => controller && controller.abort());
  containerSelect(ns, pod, chosen, (c) => { chosen = c; start(c); }).then((select) => {
    chosen = chosen || select.value;
    main.replaceChildren(podHeader(ns, pod, "Logs"), h("section", { class: "panel" },
      h("div", { class: "toolbar" }, h("label", {}, "Container ", select), h("label", {}, follow, " follow"),
        h("label", {}, previous, " previous container"), h("label", {}, stamps, " timestamps")), out));
    start(chosen);
  });
}

// -------------------------------------------------------------------------------------------- exec

function execPage(ns, pod, container) {
  const main = document.getElementById("main");
  const box = h("div", { id: "terminal" });
  const status = h("span", { id: "exec-status", class: "muted" }, "connecting…");
  const shell = h("input", { id: "exec-command", value: "sh", size: "12", spellcheck: "false",
    onkeydown: (e) => { if (e.key === "Enter") connect(chosen); } });
  let ws = null, term = null, fit = null;
  const encoder = new TextEncoder(), decoder = new TextDecoder();
  const frame = (channel, bytes) => { const b = new Uint8Array(bytes.length + 1); b[0] = channel; b.set(bytes, 1); return b; };
  const connect = (c) => {
    if (ws) ws.close();
    term.reset();
    status.textContent = "connecting…";
    const q = new URLSearchParams({ namespace: ns, pod, tty: "1" });
    for (const word of (shell.value.trim() || "sh").split(/\s+/)) q.append("command", word);
    if (c) q.set("container", c);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const sock = new WebSocket(`${scheme}://${location.host}/api/exec?${q}`, ["v4.channel.k8s.io"]);
    ws = sock;
    sock.binaryType = "arraybuffer";
    // A replaced session's late events (its close above all) must not touch the new one's status.
    sock.onopen = () => { if (sock !== ws) return; status.textContent = "connected"; sendSize(); term.focus(); };
    sock.onmessage = (e) => {
      if (sock !== ws) return;
      if (typeof e.data === "string") {
        let message = e.data;
        try { message = JSON.parse(e.data).error || message; } catch (_) { /* plain text */ }
        term.write(`\r\n\x1b[31m${message}\x1b[0m\r\n`);
        status.textContent = "failed";
        return;
      }
      const data = new Uint8Array(e.data);
      if (data[0] === 1 || data[0] === 2) term.write(data.subarray(1));
      else if (data[0] === 3) {
        const st = JSON.parse(decoder.decode(data.subarray(1)) || "{}");
        status.textContent = st.status === "Success" ? "exited" : `exited: ${st.message || st.reason || ""}`;
      }
    };
    sock.onclose = () => { if (sock === ws && status.textContent === "connected") status.textContent = "closed"; };
  };
  const sendSize = () => {
    if (ws && ws.readyState === WebSocket.OPEN && term) {
      ws.send(frame(4, encoder.encode(JSON.stringify({ Width: term.cols, Height: term.rows }))));
      box.dataset.size = `${term.rows} ${term.cols}`;  // what the container's terminal was told
    }
  };
  const onResize = () => { if (fit) fit.fit(); };
  window.addEventListener("resize", onResize);
  state.cleanup.push(() => { window.removeEventListener("resize", onResize); if (ws) ws.close(); if (term) term.dispose(); });
  let chosen = container || "";
  containerSelect(ns, pod, chosen, (c) => { chosen = c; connect(c); }).then((select) => {
    chosen = chosen || select.value;
    main.replaceChildren(podHeader(ns, pod, "Shell"), h("section", { class: "panel" },
      h("div", { class: "toolbar" }, h("label", {}, "Container ", select),
        h("label", {}, "Command ", shell), h("button", { id: "reconnect", onclick: () => connect(chosen) }, "Run"),
        status), box));
    term = new Terminal({ cursorBlink: true, fontSize: 13, convertEol: false, scrollback: 5000 });
    fit = new FitAddon.FitAddon();
    term.loadAddon(fit);
    term.open(box);
    fit.fit();
    term.onData((d) => { if (ws && ws.readyState === WebSocket.OPEN) ws.send(frame(0, encoder.encode(d))); });
    term.onResize(sendSize);
    connect(chosen);
  });
}

// ------------------------------------------------------------------------------------------ create

const SAMPLE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
spec:
  replicas: 1
  selector:
    matchLabels: {app: hello}
  template:
    metadata:
      labels: {app: hello}
    spec:
      containers:
      - name: hello
        image: busybox
        command: ["sh", "-c", "while true; do date; sleep 5; done"]
`;

/** Create (or apply, server-side) pasted YAML. The detail page's Edit lands here with the object's YAML. */
function createPage() {
  const main = document.getElementById("main");
  const editing = sessionStorage.getItem("kubelite.edit");
  sessionStorage.removeItem("kubelite.edit");
  const text = h("textarea", { id: "manifest", spellcheck: "false" }, editing || SAMPLE);
  const result = h("div", { id: "create-result", class: "empty" });
  const submit = (mode) => async () => {
    const q = new URLSearchParams({ namespace: namespace() || "default", mode });
    try {
      const out = await api(`/api/create?${q}`, { method: "POST", body: text.value,
        headers: { "Content-Type": "application/yaml" } });
      result.textContent = mode === "apply" ? `Applied: ${out.applied.join(", ")}` : `Created: ${out.created.join(", ")}`;
      flash(result.textContent);
    } catch (err) {
      result.textContent = `Error: ${err.message}`;
      flash(err.message, true);
    }
  };
  main.replaceChildren(h("h2", {}, editing ? "Edit and apply" : "Create from YAML"), h("section", { class: "panel" },
    h("div", { class: "toolbar" }, h("span", { class: "muted" },
      `Paste one or more objects; namespaced objects without a namespace go to "${namespace() || "default"}". ` +
      "Create makes new objects; Apply (server-side) creates or updates them.")),
    text, h("div", { class: "toolbar" },
      h("button", { class: editing ? "" : "primary", id: "create", onclick: submit("create") }, "Create"),
      h("button", { class: editing ? "primary" : "", id: "apply", onclick: submit("apply") }, "Apply")), result));
}

function editObject(path) {
  api(`/api/yaml${path}?for=edit`).then((yaml) => {
    sessionStorage.setItem("kubelite.edit", yaml);
    location.hash = "#/create";
  }).catch((err) => flash(err.message, true));
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
