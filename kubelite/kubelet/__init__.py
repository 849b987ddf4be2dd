"""The kubelet: runs the pods bound to this node on the engine and reports their status.

Pure parts (how a container's environment, command, DNS files and the pod's status are computed) are
separate modules so they are tested without a node; the pod workers, probes and streaming servers do
the I/O.
"""
