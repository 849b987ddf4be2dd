"""Issue 10 in a real browser: the dashboard against a real cluster with a real node, driven through
headless Chromium. The overview lists the node; a deployment applied with kubectl appears without a
reload; scaling it from the page brings real pods; a pod's log and a shell in it work through the
dashboard (which reaches them through the API server); rollout restart and undo, create from YAML, the
services page and the detail page do what they say; and a request without the login token is refused."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By

from kubelite.dashboard.auth import cookie_name
from tests.e2e.dashboard.conftest import WAIT, Cluster, Dashboard, screenshot, wait_until

pytestmark = pytest.mark.e2e

WEB = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: main
        image: busybox
        resources: {requests: {cpu: 50m, memory: 16Mi}}
        command: ["sh", "-c", "echo hello-from-dashboard-test; i=0; while true; do echo tick-$i; i=$((i+1)); sleep 1;
                 done"]
"""

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 8080
"""


@pytest.fixture(autouse=True)
def no_script_errors(browser: Any) -> Iterator[None]:
    """Every test ends with no script error in the page (failed requests the test provoked are the
    network's entries, not the script's)."""
    browser.get_log("browser")  # drop what earlier tests left
    yield
    errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE" and e.get("source") != "network"]
    assert not errors, errors


def page_state(driver: Any, cluster: Cluster) -> str:
    """What a failed wait saw: the page, the browser's console and the cluster's logs."""
    main = driver.execute_script("const m = document.getElementById('main'); return m ? m.outerHTML : '';")
    return f"page: {str(main)[:3000]}\nconsole: {driver.get_log('browser')}\n{cluster.logs()}"


APP_STARTED = "return typeof route === 'function' && document.getElementById('main').childElementCount > 0;"


def login(driver: Any, dashboard: Dashboard) -> None:
    """Log in and wait for the page's scripts to run. Chromium aborts loads in flight when the host's
    network changes (net::ERR_NETWORK_CHANGED: the node's bridge and veths, or other tests' links), so
    a page whose scripts were cut off is loaded again."""
    deadline = time.monotonic() + WAIT
    while True:
        driver.get(dashboard.url)
        wait_until(lambda: driver.current_url.rstrip("/#").endswith(dashboard.base.split("//", 1)[1])
                   and "token=" not in driver.current_url, "the login redirect to drop the token")
        started = time.monotonic() + 20
        while time.monotonic() < started and not driver.execute_script(APP_STARTED):
            time.sleep(0.2)
        if driver.execute_script(APP_STARTED):
            return
        assert time.monotonic() < deadline, f"the dashboard's page never started: {driver.get_log('browser')}"


def go(driver: Any, dashboard: Dashboard, page: str) -> None:
    driver.get(f"{dashboard.base}/#/{page}")


def rows(driver: Any, table: str) -> dict[str, str]:
    """name -> visible text of each row of a live table (read in one script: rows re-render live)."""
    found = driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(r => [r.dataset.name, r.innerText]);",
        f"#{table} tbody tr")
    return {name: text for name, text in found}


def text_of(driver: Any, element_id: str) -> str:
    """The text of an element by id, or "" while it is not there (read in one script: pages re-render)."""
    return str(driver.execute_script("const e = document.getElementById(arguments[0]); return e ? e.innerText : '';",
                                     element_id) or "")


def click(driver: Any, css: str, within: float = 60) -> None:
    """Click the element at ``css``, finding it again if a live re-render replaced it."""
    def attempt() -> bool:
        try:
            elements = driver.find_elements(By.CSS_SELECTOR, css)
            if not elements:
                return False
            elements[0].click()
            return True
        except StaleElementReferenceException:
            return False

    wait_until(attempt, f"{css} to be clickable", within=within)


def kube_json(cluster: Cluster, *args: str) -> Any:
    return json.loads(cluster.kubectl.run("get", *args, "-o", "json").stdout)


def web_pods(cluster: Cluster) -> list[dict[str, Any]]:
    pods = kube_json(cluster, "pods", "-l", "app=web")["items"]
    return [p for p in pods if not p["metadata"].get("deletionTimestamp")]


def ready_web_pod(cluster: Cluster) -> str:
    """Apply the web deployment if needed, let any rollout finish (so the pod stays), and return the name
    of one of its Running, Ready pods."""
    if not cluster.kubectl.run("get", "deployment", "web", "--ignore-not-found").stdout.strip():
        cluster.kubectl.run("apply", "-f", "-", input=WEB)
    cluster.kubectl.run("rollout", "status", "deployment/web", "--timeout=120s", timeout=150)

    def ready() -> str | None:
        for p in web_pods(cluster):
            conds = {c["type"]: c["status"] for c in p.get("status", {}).get("conditions", [])}
            if p.get("status", {}).get("phase") == "Running" and conds.get("Ready") == "True":
                return str(p["metadata"]["name"])
        return None

    name: str = wait_until(ready, "a Running, Ready web pod", on_fail=cluster.logs)
    return name


WARNING = """
apiVersion: v1
kind: Event
metadata: {name: probe-failed.1, namespace: default}
involvedObject: {kind: Pod, name: flaky, namespace: default, apiVersion: v1}
type: Warning
reason: Unhealthy
message: "Liveness probe failed: connection refused"
source: {component: kubelet}
count: 3
"""


def test_overview_lists_the_node_and_pods_by_phase(cluster: Cluster, dashboard: Dashboard, browser: Any) -> None:
    login(browser, dashboard)
    go(browser, dashboard, "overview")
    cluster.kubectl.run("create", "-f", "-", input=WARNING)
    warning = wait_until(lambda: rows(browser, "warnings").get("probe-failed.1"), "the warning event, live",
                         on_fail=lambda: page_state(browser, cluster))
    assert "pod/flaky" in warning and "Unhealthy" in warning and "Liveness probe failed" in warning
    wait_until(lambda: cluster.node in rows(browser, "nodes"), "the node in the overview", on_fail=cluster.logs)
    row = wait_until(lambda: "Ready" in rows(browser, "nodes").get(cluster.node, "") and
                     rows(browser, "nodes")[cluster.node], "the node Ready in the overview", on_fail=cluster.logs)
    assert " / " in row  # allocatable / capacity
    phases = browser.execute_script(  # read in one script: node heartbeats redraw the page
        "return [...document.querySelectorAll('#pod-phases .card')].map(c => c.dataset.phase);")
    assert phases == ["Running", "Pending", "Succeeded", "Failed", "Unknown"]


def test_unauthorised_requests_are_refused(dashboard: Dashboard, browser: Any) -> None:
    def status(url: str, headers: dict[str, str] | None = None, method: str = "GET", data: bytes | None = None) -> int:
        req = urllib.request.Request(url, headers=headers or {}, method=method, data=data)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as err:
            return int(err.code)

    api = f"{dashboard.base}/api/k8s/api/v1/namespaces/default/pods"
    assert status(api) == 401
    assert status(api, {"Authorization": "Bearer not-the-token"}) == 401
    assert status(api, {"Cookie": f"{cookie_name(dashboard.token)}=not-the-token"}) == 401
    assert status(api, {"Cookie": f"{cookie_name(dashboard.token)}={dashboard.token}"}) == 200
    assert status(f"{dashboard.base}/?token=not-the-token") == 401
    assert status(f"{dashboard.base}/api/watch?path=/api/v1/pods") == 401
    assert status(f"{dashboard.base}/api/create", method="POST", data=SERVICE.encode()) == 401
    assert status(api, {"Authorization": f"Bearer {dashboard.token}"}) == 200
    # The token is not enough for a write started by another site's page.
    assert status(f"{dashboard.base}/api/scale", {"Authorization": f"Bearer {dashboard.token}",
                  "Origin": "http://evil.example", "Content-Type": "application/json"}, "POST",
                  b'{"kind":"Deployment","namespace":"default","name":"web","replicas":9}') == 403
    # A browser without the cookie sees the log-in page, not the cluster.
    browser.delete_all_cookies()
    browser.get(f"{dashboard.base}/")
    assert "Not logged in" in browser.find_element(By.TAG_NAME, "h1").text
    login(browser, dashboard)


def test_a_deployment_appears_live_and_scales_from_the_page(cluster: Cluster, dashboard: Dashboard,
                                                            browser: Any) -> None:
    login(browser, dashboard)
    go(browser, dashboard, "workloads")
    wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, "#deployments, #pods"), "the workloads page")
    browser.execute_script("window.__sameDocument = true;")  # survives only if the page never reloads
    cluster.kubectl.run("apply", "-f", "-", input=WEB)
    wait_until(lambda: "web" in rows(browser, "deployments"), "the applied deployment to appear live",
               on_fail=cluster.logs)
    wait_until(lambda: "1/1" in rows(browser, "deployments").get("web", ""), "the deployment ready 1/1",
               on_fail=cluster.logs)
    assert browser.execute_script("return window.__sameDocument === true;"), "the page reloaded"

    click(browser, '#deployments tr[data-name="web"] button.scale')
    field = browser.find_element(By.ID, "replicas")
    field.clear()
    field.send_keys("3")
    browser.find_element(By.ID, "dialog-ok").click()

    def three_running() -> bool:
        pods = {n: t for n, t in rows(browser, "pods").items() if n.startswith("web-")}
        return len(pods) == 3 and all("1/1" in t and "Running" in t for t in pods.values())

    wait_until(three_running, "three running web pods in the page", on_fail=cluster.logs)
    wait_until(lambda: "3/3" in rows(browser, "deployments").get("web", ""), "the deployment ready 3/3")
    assert kube_json(cluster, "deployment", "web")["spec"]["replicas"] == 3
    assert len(web_pods(cluster)) == 3
    assert browser.execute_script("return window.__sameDocument === true;"), "the page reloaded"
    screenshot(browser, "workloads")
    go(browser, dashboard, "overview")
    wait_until(lambda: "150m" in rows(browser, "nodes").get(cluster.node, ""),
               "the three pods' CPU requests summed on the node")
    screenshot(browser, "overview")
    go(browser, dashboard, "workloads")
    wait_until(lambda: "3/3" in rows(browser, "deployments").get("web", ""), "the workloads page again")
    browser.set_window_size(390, 844)  # a phone: wide tables scroll in their own box, the page does not
    try:
        for page, table in (("workloads", "pods"), ("overview", "nodes"), ("services", "services")):
            go(browser, dashboard, page)
            wait_until(lambda table=table: rows(browser, table), f"the {page} page at phone width")
            width = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth];")
            assert width[0] <= width[1], f"{page} is wider than the phone: {width}"
            screenshot(browser, f"{page}-phone")
    finally:
        browser.set_window_size(1280, 900)


def test_a_pod_log_is_read_in_the_page(cluster: Cluster, dashboard: Dashboard, browser: Any) -> None:
    pod = ready_web_pod(cluster)
    login(browser, dashboard)
    go(browser, dashboard, f"logs/default/{pod}")
    wait_until(lambda: "hello-from-dashboard-test" in text_of(browser, "logs"), "the pod's log line in the page",
               on_fail=lambda: text_of(browser, "logs"))
    # Followed: lines written after the page opened arrive in it, without a reload.
    seen = max(int(t) for t in re.findall(r"tick-(\d+)", text_of(browser, "logs")) or ["0"])
    wait_until(lambda: f"tick-{seen + 2}" in text_of(browser, "logs"), "later log lines to stream in",
               on_fail=lambda: text_of(browser, "logs"))
    click(browser, "#timestamps")
    wait_until(lambda: re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S* tick-\d+$", text_of(browser, "logs"), re.M),
               "the log again with timestamps", on_fail=lambda: text_of(browser, "logs"))
    click(browser, "#timestamps")
    # The container never restarted: asking for the previous one is the API server's one-line answer.
    click(browser, "#previous")
    wait_until(lambda: text_of(browser, "logs").startswith("Cannot read the log:"), "the previous log's refusal",
               on_fail=lambda: text_of(browser, "logs"))
    click(browser, "#previous")
    wait_until(lambda: "hello-from-dashboard-test" in text_of(browser, "logs"), "the current log again")
    screenshot(browser, "logs")


def test_a_command_runs_in_the_exec_terminal(cluster: Cluster, dashboard: Dashboard, browser: Any) -> None:
    pod = ready_web_pod(cluster)
    login(browser, dashboard)
    go(browser, dashboard, f"exec/default/{pod}")

    def terminal_text() -> str:
        return str(browser.execute_script(
            "const e = document.querySelector('#terminal .xterm-rows'); return e ? e.innerText : '';") or "")

    def status() -> str:
        return str(browser.execute_script(
            "const e = document.getElementById('exec-status'); return e ? e.textContent : '';") or "")

    wait_until(lambda: status() == "connected", "the exec session to connect",
               on_fail=lambda: f"status {status()!r}, terminal {terminal_text()!r}")
    wait_until(lambda: "/ # " in terminal_text(), "the shell's prompt", on_fail=terminal_text)
    click(browser, "#terminal")
    browser.switch_to.active_element.send_keys("echo $((6*7))-from-$(hostname)\n")
    wait_until(lambda: f"42-from-{pod}" in terminal_text(), "the command's output in the terminal",
               on_fail=terminal_text)
    # The terminal's size reached the container's pty (the resize channel, through the API server).
    size = browser.execute_script("return document.getElementById('terminal').dataset.size;")
    browser.switch_to.active_element.send_keys("stty size\n")
    wait_until(lambda: f"\n{size}\n" in terminal_text(), f"stty to report {size}", on_fail=terminal_text)
    screenshot(browser, "exec")
    # Another command in place of the shell: its output, then its exit.
    field = browser.find_element(By.ID, "exec-command")
    field.clear()
    field.send_keys("cat /etc/hostname\n")
    wait_until(lambda: pod in terminal_text() and "/ #" not in terminal_text(), "cat's output in a fresh terminal",
               on_fail=terminal_text)
    wait_until(lambda: text_of(browser, "exec-status") == "exited", "the command's exit",
               on_fail=lambda: text_of(browser, "exec-status"))


def test_rollout_restart_and_undo_from_the_page(cluster: Cluster, dashboard: Dashboard, browser: Any) -> None:
    ready_web_pod(cluster)
    login(browser, dashboard)
    go(browser, dashboard, "workloads")
    click(browser, '#deployments tr[data-name="web"] button.restart')

    def annotations() -> dict[str, str]:
        template = kube_json(cluster, "deployment", "web")["spec"]["template"]
        return dict(template.get("metadata", {}).get("annotations") or {})

    stamp = wait_until(lambda: annotations().get("kubectl.kubernetes.io/restartedAt"),
                       "the restartedAt annotation on the pod template")
    assert stamp.endswith("Z")
    wait_until(lambda: len(kube_json(cluster, "replicasets", "-l", "app=web")["items"]) == 2,
               "a second ReplicaSet for the restarted template", on_fail=cluster.logs)
    # Undo goes back from the deployment's current revision, as kubectl's does: wait until the
    # controller has recorded the restart as revision 2 (on a loaded machine it lags the ReplicaSet).
    wait_until(lambda: kube_json(cluster, "deployment", "web")["metadata"].get("annotations", {})
               .get("deployment.kubernetes.io/revision") == "2", "the deployment at revision 2", on_fail=cluster.logs)
    click(browser, '#deployments tr[data-name="web"] button.undo')
    wait_until(lambda: "kubectl.kubernetes.io/restartedAt" not in annotations(),
               "undo to bring back the template without the annotation")


def test_create_from_yaml_and_the_services_page(cluster: Cluster, dashboard: Dashboard, browser: Any) -> None:
    login(browser, dashboard)
    go(browser, dashboard, "create")
    wait_until(lambda: browser.find_elements(By.ID, "manifest"), "the create page")
    browser.execute_script("document.getElementById('manifest').value = arguments[0];", SERVICE)  # a paste
    screenshot(browser, "create")
    click(browser, "#create")
    wait_until(lambda: "Created: service/web" in text_of(browser, "create-result"),
               "the service to be created")
    svc = kube_json(cluster, "service", "web")
    node_port = svc["spec"]["ports"][0]["nodePort"]
    go(browser, dashboard, "services")
    row = wait_until(lambda: rows(browser, "services").get("web"), "the service in the services page")
    assert "NodePort" in row and svc["spec"]["clusterIP"] in row and f"80:{node_port}/TCP" in row
    links = browser.execute_script("return [...document.querySelectorAll(arguments[0])].map(a => a.href);",
                                   '#services tr[data-name="web"] a.open')
    assert any(link.endswith(f":{node_port}/") for link in links), links
    screenshot(browser, "services")
    # Deleted from the page (after confirming), and gone from the live list.
    click(browser, '#services tr[data-name="web"] button.delete')
    click(browser, "#dialog-ok")
    wait_until(lambda: "web" not in rows(browser, "services"), "the deleted service to leave the list")
    wait_until(lambda: not cluster.kubectl.run("get", "service", "web", "--ignore-not-found").stdout.strip(),
               "the service deleted in the cluster")
    # A bad manifest is one clear error, not a trace.
    go(browser, dashboard, "create")
    wait_until(lambda: browser.find_elements(By.ID, "manifest"), "the create page")
    browser.execute_script("document.getElementById('manifest').value = 'kind: [';")
    click(browser, "#create")
    wait_until(lambda: "invalid YAML" in text_of(browser, "create-result"), "the YAML error")


def test_detail_shows_conditions_events_owners_and_yaml(cluster: Cluster, dashboard: Dashboard,
                                                        browser: Any) -> None:
    pod = ready_web_pod(cluster)
    login(browser, dashboard)
    go(browser, dashboard, "detail/apis/apps/v1/namespaces/default/deployments/web")
    wait_until(lambda: "Available" in rows(browser, "conditions"), "the deployment's Available condition")
    wait_until(lambda: "kind: Deployment" in text_of(browser, "yaml"), "the deployment's YAML",
               on_fail=lambda: browser.execute_script("return document.getElementById('main').outerHTML;"))
    assert "busybox" in text_of(browser, "summary") and "app=web" in text_of(browser, "summary")
    wait_until(lambda: rows(browser, "events"), "the deployment's events (ScalingReplicaSet)")
    wait_until(lambda: any(n.startswith("web-") for n in rows(browser, "children")), "the deployment's replica sets")
    browser.set_window_size(1280, 1700)  # the whole page: children and YAML too
    screenshot(browser, "detail")
    browser.set_window_size(1280, 900)
    # Edit: the object's YAML without server-owned fields, changed and applied back.
    click(browser, "#main button.edit")
    wait_until(lambda: "kind: Deployment" in (browser.execute_script(
        "const e = document.getElementById('manifest'); return e ? e.value : '';") or ""), "the YAML to edit")
    manifest = browser.execute_script("return document.getElementById('manifest').value;")
    assert "resourceVersion" not in manifest and "status:" not in manifest and "uid:" not in manifest
    browser.execute_script("document.getElementById('manifest').value = arguments[0];",
                           manifest.replace("\n  name: web\n", "\n  name: web\n  labels:\n    tier: frontend\n", 1))
    click(browser, "#apply")
    wait_until(lambda: "Applied: deployment/web" in text_of(browser, "create-result"), "the edit applied",
               on_fail=lambda: text_of(browser, "create-result"))
    assert kube_json(cluster, "deployment", "web")["metadata"]["labels"] == {"tier": "frontend"}
    go(browser, dashboard, f"detail/api/v1/namespaces/default/pods/{pod}")
    wait_until(lambda: "running" in rows(browser, "containers").get("main", ""), "the pod's running container")
    click(browser, '#summary a.obj-link[href*="/replicasets/web-"]')
    wait_until(lambda: "/replicasets/web-" in browser.current_url, "the owner's detail page")
    wait_until(lambda: "kind: ReplicaSet" in text_of(browser, "yaml"), "the ReplicaSet's YAML")
    wait_until(lambda: pod in rows(browser, "children"), "the ReplicaSet's pods, the one we came from among them")


def test_the_namespace_selector_filters_every_list(cluster: Cluster, dashboard: Dashboard, browser: Any) -> None:
    ready_web_pod(cluster)
    cluster.kubectl.run("create", "namespace", "team-a")
    cluster.kubectl.run("apply", "-n", "team-a", "-f", "-", input=WEB.replace("replicas: 1", "replicas: 0")
                        .replace("name: web, namespace: default", "name: quiet"))
    login(browser, dashboard)
    go(browser, dashboard, "workloads")

    def choose(value: str) -> None:
        from selenium.webdriver.support.ui import Select

        def select() -> bool:
            try:
                Select(browser.find_element(By.ID, "namespace")).select_by_value(value)
            except (StaleElementReferenceException, NoSuchElementException):
                return False  # not offered yet, or the options were being redrawn
            return True

        wait_until(select, f"namespace {value or 'all'} chosen in the selector")

    choose("team-a")
    wait_until(lambda: set(rows(browser, "deployments")) == {"quiet"}, "only team-a's deployment")
    choose("")
    both = wait_until(lambda: {"quiet", "web"} <= set(rows(browser, "deployments")) and rows(browser, "deployments"),
                      "the deployments of every namespace")
    assert "team-a" in both["quiet"] and "default" in both["web"]  # a namespace column when all are shown
    choose("default")
    wait_until(lambda: "quiet" not in rows(browser, "deployments") and "web" in rows(browser, "deployments"),
               "default's deployments again")
