"""LoadBalancer Services on a machine without a cloud: external IPs from a local pool (as k3s's ServiceLB)."""
