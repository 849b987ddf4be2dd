"""Real builds with runc and overlayfs, driven through the ``kubelite build`` command."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time

import pytest

from tests.e2e.build.conftest import Engine, image_rootfs, write_tree

pytestmark = pytest.mark.e2e

DOCKERFILE = """\
FROM busybox
ARG GREETING=hello
ENV APP=/app
WORKDIR $APP
COPY base.txt ./
RUN echo "$GREETING from run" > run.txt
COPY app.txt ./
CMD ["cat", "/app/app.txt"]
"""


def steps(output: str) -> list[tuple[str, bool]]:
    """(instruction, came from cache) per step after FROM, from the progress lines."""
    out = []
    for block in re.split(r"^Step \d+/\d+ : ", output, flags=re.M)[1:]:
        first, _, rest = block.partition("\n")
        if not first.startswith("FROM"):
            out.append((first, " ---> Using cache" in rest))
    return out


def image_id(root: str, ref: str) -> str:
    from kubelite.runtime.images import ImageStore

    return ImageStore(root).resolve(ref).id


def test_cache_hits_and_misses(engine: Engine, tmp_path: str) -> None:
    ctx = write_tree(str(tmp_path), {"Dockerfile": DOCKERFILE, "base.txt": "base\n", "app.txt": "v1\n"})
    first = engine.build(ctx, "-t", "cache:1")
    assert first.returncode == 0, first.stderr
    assert re.search(r"^Step 6/8 : RUN echo", first.stdout, re.M)
    assert not any(cached for _, cached in steps(first.stdout))
    built = image_id(engine.root, "cache:1")
    assert first.stdout.strip().endswith("Successfully tagged cache:1")
    assert f"Successfully built {built[7:19]}" in first.stdout

    again = engine.build(ctx, "-t", "cache:1")
    assert again.returncode == 0, again.stderr
    assert all(cached for _, cached in steps(again.stdout))
    assert image_id(engine.root, "cache:1") == built          # same config, same timestamps

    # Touching a file (mtime only) is not a change: the content hash decides.
    os.utime(os.path.join(ctx, "app.txt"), (1, 1))
    touched = engine.build(ctx, "-t", "cache:1")
    assert all(cached for _, cached in steps(touched.stdout)), touched.stdout

    # Changing the first COPY's source rebuilds from that step on, RUN included.
    with open(os.path.join(ctx, "base.txt"), "w") as fh:
        fh.write("base v2\n")
    changed = engine.build(ctx, "-t", "cache:2")
    assert changed.returncode == 0, changed.stderr
    assert [cached for _, cached in steps(changed.stdout)] == [True, True, True, False, False, False, False]
    assert "hello from run" not in changed.stdout   # RUN printed nothing; it ran though:
    with image_rootfs(engine.root, "cache:2") as rootfs:
        with open(os.path.join(rootfs, "app/base.txt")) as fh:
            assert fh.read() == "base v2\n"
        with open(os.path.join(rootfs, "app/run.txt")) as fh:
            assert fh.read() == "hello from run\n"

    # A different build arg misses at the RUN that sees it; --no-cache misses everywhere.
    arg = engine.build(ctx, "-t", "cache:3", "--build-arg", "GREETING=hi")
    assert [cached for _, cached in steps(arg.stdout)] == [True, True, True, True, False, False, False]
    nocache = engine.build(ctx, "-t", "cache:4", "--no-cache")
    assert not any(cached for _, cached in steps(nocache.stdout))


def test_multi_stage_copy_from_and_target(engine: Engine, tmp_path: str) -> None:
    dockerfile = """\
FROM busybox AS builder
RUN mkdir -p /out && echo compiled > /out/artifact && echo junk > /out/junk
FROM builder AS test
RUN echo tested > /out/tested
FROM scratch
COPY --from=builder /out/artifact /artifact
COPY --from=busybox /bin/busybox /bin/busybox
"""
    ctx = write_tree(str(tmp_path), {"Dockerfile": dockerfile})
    result = engine.build(ctx, "-t", "multi:1")
    assert result.returncode == 0, result.stderr
    assert "Step 1/5 : FROM busybox AS builder" in result.stdout   # the unneeded "test" stage is skipped
    assert "RUN echo tested" not in result.stdout
    with image_rootfs(engine.root, "multi:1") as rootfs:
        assert sorted(os.listdir(rootfs)) == ["artifact", "bin"]
        with open(os.path.join(rootfs, "artifact")) as fh:
            assert fh.read() == "compiled\n"
    targeted = engine.build(ctx, "-t", "multi:test", "--target", "test")
    assert targeted.returncode == 0, targeted.stderr
    with image_rootfs(engine.root, "multi:test") as rootfs:
        assert sorted(os.listdir(os.path.join(rootfs, "out"))) == ["artifact", "junk", "tested"]


def test_run_deleting_a_lower_file_leaves_a_whiteout(engine: Engine, tmp_path: str) -> None:
    from kubelite.runtime.content import ContentStore
    from kubelite.runtime.images import ImageStore

    dockerfile = "FROM busybox\nRUN rm /etc/group && rm -r /home && echo added > /etc/added\n"
    ctx = write_tree(str(tmp_path), {"Dockerfile": dockerfile})
    result = engine.build(ctx, "-t", "whiteout:1")
    assert result.returncode == 0, result.stderr
    image = ImageStore(engine.root).resolve("whiteout:1")
    base = ImageStore(engine.root).resolve("busybox")
    assert len(image.layers) == len(base.layers) + 1
    import tarfile

    with ContentStore(engine.root).open(image.layers[-1].digest) as fh, tarfile.open(fileobj=fh) as tf:
        names = set(tf.getnames())
    assert {"etc/.wh.group", ".wh.home", "etc/added"} <= names
    assert not any(n in names for n in ("proc", "dev", "sys", "etc/resolv.conf"))  # mount points dropped
    with image_rootfs(engine.root, "whiteout:1") as rootfs:
        assert not os.path.lexists(os.path.join(rootfs, "etc/group"))
        assert not os.path.lexists(os.path.join(rootfs, "home"))
        assert os.path.exists(os.path.join(rootfs, "etc/passwd"))
    history = image.image_config.history
    assert history[-1]["created_by"].startswith("/bin/sh -c rm /etc/group")
    assert "empty_layer" not in history[-1]


def test_config_instructions_land_in_the_image(engine: Engine, tmp_path: str) -> None:
    dockerfile = """\
FROM busybox
LABEL org.example.name="demo app"
ENV A=1 B="two words"
EXPOSE 8080
USER nobody
VOLUME /data
STOPSIGNAL SIGQUIT
HEALTHCHECK --interval=5s CMD wget -q -O- http://localhost:8080/
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["echo hi"]
"""
    ctx = write_tree(str(tmp_path), {"Dockerfile": dockerfile})
    result = engine.build(ctx, "-t", "config:1")
    assert result.returncode == 0, result.stderr
    from kubelite.runtime.images import ImageStore

    image = ImageStore(engine.root).resolve("config:1")
    config = image.config
    assert config["Labels"] == {"org.example.name": "demo app"}
    assert "A=1" in config["Env"] and "B=two words" in config["Env"]
    assert config["ExposedPorts"] == {"8080/tcp": {}}
    assert config["User"] == "nobody" and config["StopSignal"] == "SIGQUIT"
    assert config["Volumes"] == {"/data": {}}
    assert config["Healthcheck"]["Test"][0] == "CMD-SHELL"
    assert config["Entrypoint"] == ["/bin/sh", "-c"] and config["Cmd"] == ["echo hi"]
    new_history = image.image_config.history[-9:]
    assert all(h.get("empty_layer") for h in new_history)
    assert len(image.layers) == len(ImageStore(engine.root).resolve("busybox").layers)


def test_copy_chown_add_tar_and_dockerignore(engine: Engine, tmp_path: str) -> None:
    import tarfile

    ctx = write_tree(str(tmp_path), {
        "Dockerfile": "FROM busybox\nCOPY --chown=nobody:nogroup src/ /srv/\nADD bundle.tar.gz /opt/\n",
        ".dockerignore": "src/*.log\n!src/keep.log\n",
        "src/a.txt": "a\n", "src/drop.log": "x\n", "src/keep.log": "k\n", "payload/inner.txt": "inner\n",
    })
    with tarfile.open(os.path.join(ctx, "bundle.tar.gz"), "w:gz") as tf:
        tf.add(os.path.join(ctx, "payload"), arcname="payload")
    result = engine.build(ctx, "-t", "copy:1")
    assert result.returncode == 0, result.stderr
    with image_rootfs(engine.root, "copy:1") as rootfs:
        assert sorted(os.listdir(os.path.join(rootfs, "srv"))) == ["a.txt", "keep.log"]
        st = os.stat(os.path.join(rootfs, "srv/a.txt"))
        assert (st.st_uid, st.st_gid) == (65534, 65534)
        with open(os.path.join(rootfs, "opt/payload/inner.txt")) as fh:
            assert fh.read() == "inner\n"


def test_dockerfile_errors_name_the_line(engine: Engine, tmp_path: str) -> None:
    ctx = write_tree(str(tmp_path), {"Dockerfile": "FROM busybox\n\n# comment\nRUN true\nRUNN echo\n"})
    result = engine.build(ctx, "-t", "bad:1")
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: Dockerfile:5: unknown instruction: RUNN"
    assert "Traceback" not in result.stderr

    write_tree(ctx, {"Dockerfile": "FROM busybox\nRUN echo out; exit 3\n"})
    failed = engine.build(ctx, "-t", "bad:1")
    assert failed.returncode == 1
    assert failed.stderr.strip() == ("Error: Dockerfile:2: The command '/bin/sh -c echo out; exit 3' "
                                     "returned a non-zero code: 3")
    assert "out" in failed.stdout

    badtag = engine.build(ctx, "-t", "Bad/Name:x")
    assert badtag.returncode == 1 and badtag.stderr.startswith("Error: invalid tag 'Bad/Name:x'")
    assert "Step 1/" not in badtag.stdout                 # refused before building anything

    write_tree(ctx, {"Dockerfile": "FROM nosuchimage:1\n"})
    missing = engine.build(ctx)
    assert missing.returncode == 1 and missing.stderr.startswith("Error: Dockerfile:1: FROM nosuchimage:1")

    write_tree(ctx, {"Dockerfile": "FROM busybox\nUSER nosuchuser\nRUN true\n"})
    nouser = engine.build(ctx)
    assert nouser.returncode == 1 and nouser.stderr.startswith("Error: Dockerfile:3: "), nouser.stderr
    assert "nosuchuser" in nouser.stderr and "Traceback" not in nouser.stderr

    write_tree(ctx, {"Dockerfile": "FROM busybox\nCOPY missing.txt /\n"})
    nofile = engine.build(ctx)
    assert nofile.returncode == 1
    assert nofile.stderr.strip() == "Error: Dockerfile:2: missing.txt: not found in the build context"
    from kubelite.runtime.images import ImageNotFoundError, ImageStore

    with pytest.raises(ImageNotFoundError):
        ImageStore(engine.root).resolve("bad:1")


def test_context_traversal_is_refused(engine: Engine, tmp_path: str) -> None:
    outside = os.path.join(str(tmp_path), "secret.txt")
    ctx = os.path.join(str(tmp_path), "ctx")
    write_tree(str(tmp_path), {"secret.txt": "secret\n", "ctx/inside.txt": "in\n", "ctx/dir/f": "f\n"})
    os.symlink(outside, os.path.join(ctx, "abs-link"))
    os.symlink("../secret.txt", os.path.join(ctx, "rel-link"))
    os.symlink("/etc", os.path.join(ctx, "dir", "etc-link"))       # inside a copied dir: kept as a link
    cases = {
        "COPY ../secret.txt /x": "forbidden path outside the build context: ../secret.txt",
        "COPY abs-link /x": "forbidden path outside the build context: abs-link",
        "COPY rel-link /x": "forbidden path outside the build context: rel-link",
        "COPY dir/../../secret.txt /x": "forbidden path outside the build context",
    }
    for line, message in cases.items():
        write_tree(ctx, {"Dockerfile": f"FROM busybox\n{line}\n"})
        result = engine.build(ctx, "-t", "escape:1")
        assert result.returncode == 1, line
        assert result.stderr.startswith("Error: Dockerfile:2: ") and message in result.stderr, result.stderr
    write_tree(ctx, {"Dockerfile": "FROM busybox\nCOPY dir /dir\n"})
    ok = engine.build(ctx, "-t", "escape:ok")
    assert ok.returncode == 0, ok.stderr
    with image_rootfs(engine.root, "escape:ok") as rootfs:
        assert os.readlink(os.path.join(rootfs, "dir/etc-link")) == "/etc"


def _runc_list(runc_root: str) -> list[str]:
    if not os.path.isdir(runc_root):
        return []
    out = subprocess.run(["runc", "--root", runc_root, "list", "-q"], check=True, capture_output=True, text=True)
    return out.stdout.split()


def test_killed_build_registers_nothing(engine: Engine, tmp_path: str) -> None:
    ctx = write_tree(str(tmp_path), {"Dockerfile": "FROM busybox\nRUN echo started > /s && sleep 60\n"})
    runc_root = os.path.join(engine.root, "build", "runc")
    proc = subprocess.Popen([sys.executable, "-m", "kubelite", "--root", engine.root, "build", "-t",
                             "killed:1", ctx], stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        # Kill the CLI (only it, as `kill -9 PID` would) while its RUN container is running.
        deadline = time.monotonic() + 60
        while not _runc_list(runc_root) and time.monotonic() < deadline:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.05)                    # a short wait that also sees an early exit
            assert proc.poll() is None, "the build ended before its RUN started"
        assert _runc_list(runc_root), "the RUN container never appeared"
    finally:
        proc.kill()
        proc.wait()
    from kubelite.runtime.images import ImageNotFoundError, ImageStore
    from kubelite.runtime.snapshots import Snapshotter

    with pytest.raises(ImageNotFoundError):
        ImageStore(engine.root).resolve("killed:1")
    # runc outlives the killed CLI: its container still runs on the dead build's snapshot. The next
    # build that needs a filesystem ends it, then unmounts and removes the snapshot.
    assert any(k.startswith(f"build-{proc.pid}-") for k in Snapshotter(engine.root).active())
    assert _runc_list(runc_root)
    write_tree(ctx, {"Dockerfile": "FROM busybox\nRUN true\n"})
    after = engine.build(ctx, "-t", "killed:2")
    assert after.returncode == 0, after.stderr
    assert not any(k.startswith(f"build-{proc.pid}-") for k in Snapshotter(engine.root).active())
    with open("/proc/self/mountinfo") as fh:
        assert f"build-{proc.pid}-" not in fh.read()
    assert _runc_list(runc_root) == []                  # the orphaned RUN container was ended


def test_quiet_prints_the_id_and_replay_matches_a_cached_build(engine: Engine, tmp_path: str) -> None:
    ctx = write_tree(str(tmp_path), {"Dockerfile": "FROM busybox\nCOPY f /f\nLABEL a=b\n", "f": "1\n"})
    past = time.time() - 10
    os.utime(os.path.join(ctx, "f"), (past, past))
    first = engine.build(ctx, "-t", "quiet:1")
    assert first.returncode == 0, first.stderr
    second = engine.build(ctx, "-t", "quiet:1")       # full build, all cached (writes the memo)
    third = engine.build(ctx, "-t", "quiet:1")        # may come from the memo: must print the same
    assert second.stdout == third.stdout
    assert all(cached for _, cached in steps(third.stdout))
    quiet = engine.build(ctx, "-t", "quiet:1", "-q")
    assert quiet.stdout.strip() == image_id(engine.root, "quiet:1")
    # Tagging another image rewrites the image index; the build still answers the same.
    from kubelite.runtime.images import ImageStore

    ImageStore(engine.root).tag("quiet:1", "other:1")
    fourth = engine.build(ctx, "-t", "quiet:1")
    assert fourth.stdout == third.stdout
    # Re-pointing the base name changes what FROM means: a real build again, not the memo.
    ImageStore(engine.root).tag("quiet:1", "busybox:latest")
    try:
        fifth = engine.build(ctx, "-t", "quiet:1")
        assert fifth.returncode == 0, fifth.stderr
        assert fifth.stdout != third.stdout
        assert not any(cached for _, cached in steps(fifth.stdout))
    finally:
        from kubelite.runtime.bootstrap import bootstrap_busybox

        bootstrap_busybox(engine.root)                 # put the real busybox back for other tests



def test_run_forms_user_shell_and_heredocs(engine: Engine, tmp_path: str) -> None:
    dockerfile = (
        "FROM busybox\n"
        "COPY <<EOF /etc/motd\n"
        "hello $NAME\n"
        "EOF\n"
        "ARG NAME=world\n"
        "USER nobody\n"
        'RUN ["/bin/sh", "-c", "id -u > /tmp/uid; grep Seccomp: /proc/self/status > /tmp/seccomp"]\n'
        'SHELL ["/bin/sh", "-ec"]\n'
        "RUN <<EOF\n"
        'echo "$NAME" > /tmp/name\n'
        "EOF\n"
    )
    ctx = write_tree(str(tmp_path), {"Dockerfile": dockerfile})
    result = engine.build(ctx, "-t", "forms:1")
    assert result.returncode == 0, result.stderr
    with image_rootfs(engine.root, "forms:1") as rootfs:
        with open(os.path.join(rootfs, "etc/motd")) as fh:
            assert fh.read() == "hello \n"             # NAME is not declared yet at that line
        with open(os.path.join(rootfs, "tmp/uid")) as fh:
            assert fh.read() == "65534\n"
        with open(os.path.join(rootfs, "tmp/seccomp")) as fh:
            assert fh.read().split() == ["Seccomp:", "2"]     # filtered, as docker build's containers
        with open(os.path.join(rootfs, "tmp/name")) as fh:
            assert fh.read() == "world\n"
        assert os.stat(os.path.join(rootfs, "tmp/name")).st_uid == 65534


def test_onbuild_triggers_run_in_the_child_build(engine: Engine, tmp_path: str) -> None:
    from kubelite.runtime.images import ImageStore

    base_ctx = write_tree(os.path.join(str(tmp_path), "base"), {
        "Dockerfile": "FROM busybox\nONBUILD LABEL triggered=yes\nONBUILD COPY payload.txt /payload.txt\n"})
    assert engine.build(base_ctx, "-t", "onbuild:base").returncode == 0
    assert ImageStore(engine.root).resolve("onbuild:base").config["OnBuild"] == [
        "LABEL triggered=yes", "COPY payload.txt /payload.txt"]
    child_ctx = write_tree(os.path.join(str(tmp_path), "child"), {
        "Dockerfile": "FROM onbuild:base\nLABEL child=1\n", "payload.txt": "from the child's context\n"})
    child = engine.build(child_ctx, "-t", "onbuild:child")
    assert child.returncode == 0, child.stderr
    assert "# Executing 2 build triggers" in child.stdout
    config = ImageStore(engine.root).resolve("onbuild:child").config
    assert config["Labels"] == {"triggered": "yes", "child": "1"}
    assert not config.get("OnBuild")                     # triggers are not inherited further
    with image_rootfs(engine.root, "onbuild:child") as rootfs:
        path = os.path.join(rootfs, "payload.txt")
        with open(path) as fh:
            assert fh.read() == "from the child's context\n"
