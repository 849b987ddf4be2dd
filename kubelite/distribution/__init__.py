"""Image distribution: an OCI distribution v1.1 registry server and the engine's push/pull client.

``errors``, ``names`` and ``manifests`` are pure and shared by both sides; ``server/`` serves the HTTP
API over its own on-disk storage driver; ``client/`` speaks the same API to any registry.
"""
