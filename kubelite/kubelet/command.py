"""What a container runs: the pod's command/args against the image's ENTRYPOINT/CMD, as Kubernetes
defines it, with ``$(VAR)`` expanded from the container's environment.

- command and args set: command + args (the image's ENTRYPOINT and CMD are ignored);
- command only: command (the image's CMD is ignored too);
- args only: the image's ENTRYPOINT + args;
- neither: the image's ENTRYPOINT + CMD.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kubelite.kubelet.envvars import expand


def container_argv(command: Sequence[str] | None, args: Sequence[str] | None,
                   image_entrypoint: Sequence[str] | None, image_cmd: Sequence[str] | None,
                   env: Mapping[str, str]) -> list[str]:
    if command:
        argv = [*command, *(args or [])]
    elif args:
        argv = [*(image_entrypoint or []), *args]
    else:
        argv = [*(image_entrypoint or []), *(image_cmd or [])]
    return [expand(a, env) for a in argv]
