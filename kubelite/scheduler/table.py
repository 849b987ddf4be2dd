"""The nodes' numbers as columns, so one pod is filtered and scored against thousands of nodes in a
few array operations instead of thousands of Python calls.

Row ``i`` always describes ``cache.nodes()[i]``: the cache updates a row whenever that node or a pod
on it changes (O(1)), and swaps rows exactly as it swaps its node list on removal.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kubelite.scheduler.nodeinfo import NodeInfo

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_INT_COLUMNS = ("alloc_cpu", "alloc_mem", "alloc_pods", "req_cpu", "req_mem", "nz_cpu", "nz_mem", "npods")
_BOOL_COLUMNS = ("unschedulable", "hard_taint", "soft_taint", "has_images")


class NodeTable:
    def __init__(self, capacity: int = 64) -> None:
        self.n = 0
        self._cap = capacity
        self.cols: dict[str, np.ndarray] = {c: np.zeros(capacity, np.int64) for c in _INT_COLUMNS}
        self.cols.update({c: np.zeros(capacity, np.bool_) for c in _BOOL_COLUMNS})

    def col(self, name: str) -> np.ndarray:
        """A view of the live rows of one column."""
        return self.cols[name][: self.n]

    def append(self, node: NodeInfo) -> None:
        if self.n == self._cap:
            self._cap *= 2
            for name, arr in self.cols.items():
                grown = np.zeros(self._cap, arr.dtype)
                grown[: self.n] = arr[: self.n]
                self.cols[name] = grown
        self.n += 1
        self.set_row(self.n - 1, node)

    def set_row(self, i: int, node: NodeInfo) -> None:
        c = self.cols
        c["alloc_cpu"][i] = node.allocatable_milli_cpu
        c["alloc_mem"][i] = node.allocatable_memory
        c["alloc_pods"][i] = node.allocatable_pods
        c["req_cpu"][i] = node.requested_milli_cpu
        c["req_mem"][i] = node.requested_memory
        c["nz_cpu"][i] = node.non_zero_cpu
        c["nz_mem"][i] = node.non_zero_memory
        c["npods"][i] = len(node.pods)
        c["unschedulable"][i] = node.unschedulable
        c["hard_taint"][i] = any(t.effect in ("NoSchedule", "NoExecute") for t in node.taints)
        c["soft_taint"][i] = any(t.effect == "PreferNoSchedule" for t in node.taints)
        c["has_images"][i] = bool(node.image_sizes)

    def remove_swap(self, i: int) -> None:
        """Drop row ``i`` by moving the last row into it (mirrors the cache's node list)."""
        last = self.n - 1
        if i != last:
            for arr in self.cols.values():
                arr[i] = arr[last]
        self.n -= 1
