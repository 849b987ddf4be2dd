"""The registry server: OCI distribution v1.1 over aiohttp, on its own content-addressed disk layout.

``storage`` owns every path on disk; one module per API area (``blobs``, ``uploads``, ``manifests``,
``tags``, ``catalog``, ``referrers``) turns requests into storage calls; ``auth`` guards them;
``app`` wires the routes; ``gc`` reclaims unreferenced blobs.
"""
