"""The puller the engine's CRI-like runtime takes: ``EngineRuntime.open(root, puller=RegistryPuller(root))``.

``EngineRuntime.pull_image(ref)`` resolves locally and otherwise calls ``puller(ref)``, a plain
synchronous callable whose errors must be the runtime's own vocabulary
(:mod:`kubelite.runtime.container_errors`). This adapter runs :func:`pull_image` on a fresh event
loop (so call it from a worker thread, e.g. ``asyncio.to_thread``, when a loop is already running)
and translates: an unknown image is ``NotFound``, a malformed reference ``InvalidArgument``, any
other failure (auth, network, verification) ``RuntimeFailure`` with the one-line reason, which the
kubelet reports as ErrImagePull.
"""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile
from pathlib import Path

from kubelite.distribution.client.config import ClientConfig, load_config
from kubelite.distribution.client.messages import user_message
from kubelite.distribution.client.pull import PullResult, pull_image
from kubelite.distribution.errors import Code, RegistryError
from kubelite.oci.errors import InvalidReferenceError
from kubelite.runtime.container_errors import InvalidArgument, NotFound, RuntimeFailure


class RegistryPuller:
    """``puller(ref)`` for :class:`kubelite.runtime.cri.EngineRuntime`."""

    def __init__(self, root: str, config: ClientConfig | None = None) -> None:
        self.root = root
        self.config = config

    def __call__(self, ref: str, auth: str = "") -> None:
        self.pull(ref, auth)

    def pull(self, ref: str, auth: str = "") -> PullResult:
        """Pull ``ref``; ``auth`` (a Docker config document, e.g. a pod's imagePullSecrets) replaces the
        stored credentials for this pull, through a private 0600 file removed afterwards."""
        config = self.config or load_config(self.root)
        if not auth:
            return self._pull(ref, config)
        with tempfile.TemporaryDirectory(prefix="kubelite-pull-auth-") as tmp:
            path = Path(tmp) / "auth.json"
            path.touch(mode=0o600)
            path.write_text(auth)
            return self._pull(ref, dataclasses.replace(config, auth_file=path))

    def _pull(self, ref: str, config: ClientConfig) -> PullResult:
        try:
            return asyncio.run(pull_image(ref, root=self.root, config=config))
        except InvalidReferenceError as err:
            raise InvalidArgument(str(err)) from None
        except RegistryError as err:
            message = user_message(err, ref) or str(err)
            if err.code in (Code.MANIFEST_UNKNOWN, Code.NAME_UNKNOWN):
                raise NotFound(message) from None
            raise RuntimeFailure(message) from None
        except Exception as err:
            reason = user_message(err, ref)
            if reason is None:
                raise
            raise RuntimeFailure(reason) from None
