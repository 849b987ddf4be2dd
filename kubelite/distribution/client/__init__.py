"""The engine's registry client: ``pull`` and ``push`` between a registry and the engine's stores.

``auth`` parses challenges and keeps credentials (Docker's ``config.json`` shape, so ``skopeo
--authfile`` reads the same file); ``transport`` speaks HTTP to one registry (scheme choice, the
challenge flow, retries, error bodies); ``pull`` and ``push`` move images; ``progress`` draws one
bar per layer. The kubelet calls :func:`kubelite.distribution.client.pull.pull_image`.
"""
