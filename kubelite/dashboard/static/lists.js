// kubelite dashboard: The list pages: overview, workloads, services, and the actions offered on their rows.
"use strict";

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
