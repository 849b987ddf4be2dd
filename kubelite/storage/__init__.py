"""Revisioned key-value storage shaped like etcd/kine: the API server's only view of persistence."""
