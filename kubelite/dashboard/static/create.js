// kubelite dashboard: Create or apply pasted YAML.
"use strict";

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
