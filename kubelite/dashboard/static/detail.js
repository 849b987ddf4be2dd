// kubelite dashboard: The detail page of one object: summary, conditions, events, what it owns, the YAML, Edit.
"use strict";

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
      api(`/api/yaml${path}`).then((t) => { yaml.textContent = t; }).catch((e) => {
        yaml.textContent = `Cannot read the YAML: ${e.message}`;
        yamlFor = "";  // try again on the next change
      });
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
