"""ImageLocality: prefer nodes that already hold the pod's images, weighted by how rare they are.

As kube-scheduler: each image present on the node counts its size times the fraction of nodes that
have it (so an image on every node does not pull pods towards any one), and the sum is scaled between
23 MB and 1000 MB per container.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from kubelite.scheduler.nodeinfo import NodeInfo, PodInfo
from kubelite.scheduler.plugins import SKIP

MIN_THRESHOLD = 23 * 1024 * 1024
MAX_CONTAINER_THRESHOLD = 1000 * 1024 * 1024


def normalized_image_name(name: str) -> str:
    """``nginx`` and ``nginx:latest`` are one image to the scheduler."""
    last = name.rsplit("/", 1)[-1]
    return name if (":" in last or "@" in name) else f"{name}:latest"


class ImageLocality:
    name = "ImageLocality"
    weight = 1

    def pre_score(self, pod: PodInfo, nodes: Sequence[NodeInfo]) -> object:
        wanted = {normalized_image_name(i) for i in pod.images}
        holders: Counter[str] = Counter()
        for node in nodes:
            for image in wanted & node.image_sizes.keys():
                holders[image] += 1
        if not holders:
            return SKIP  # no node has any of the images: every node scores 0
        return (len(nodes), holders)

    def score(self, state: object, pod: PodInfo, node: NodeInfo) -> float:
        if not isinstance(state, tuple) or not pod.images:
            return 0.0
        total_nodes, holders = state
        total = 0.0
        for image in {normalized_image_name(i) for i in pod.images}:
            size = node.image_sizes.get(image)
            if size:
                total += size * (holders[image] / max(1, total_nodes))
        high = MAX_CONTAINER_THRESHOLD * len(pod.images)
        clamped = min(max(total, MIN_THRESHOLD), high)
        return 100.0 * (clamped - MIN_THRESHOLD) / (high - MIN_THRESHOLD)
