// kubelite dashboard: A pod's streams: its log (followed) and a terminal (xterm.js over the exec WebSocket).
"use strict";

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
