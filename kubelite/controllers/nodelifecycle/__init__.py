"""Node lifecycle: nodes that stop heartbeating are marked and tainted; their pods are evicted."""
