"""HTTP plumbing shared by the API server and the kubelet (aiohttp connection handling they both need)."""
