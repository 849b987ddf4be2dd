"""ReplicaSet and ReplicationController controllers: the pure core in :mod:`.compute`, the reconciler in
:mod:`.controller`."""
