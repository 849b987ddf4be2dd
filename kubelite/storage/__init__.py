"""Revisioned key-value storage shaped like etcd/kine: the API server's only view of persistence.

``open_storage(url)`` picks a backend; :mod:`.interface` is the contract and its error vocabulary.
"""

from kubelite.storage.factory import InvalidDatastoreURLError, open_storage

__all__ = ["InvalidDatastoreURLError", "open_storage"]
