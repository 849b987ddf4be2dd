"""The scheduler: picks a node for each pending pod, as kube-scheduler's framework does.

Pure core (``nodeinfo``, ``plugins``, ``framework``, ``queue``, ``cache``) with the I/O (informers,
binding, events) at the edge in ``scheduler.py``.
"""
