"""The node IPAM controller: gives each Node a pod CIDR carved from the cluster CIDR."""
