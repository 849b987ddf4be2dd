"""The etcd v3 backend (distributed): see :mod:`.store`; the channel and error mapping in :mod:`.client`."""

from kubelite.storage.etcd.client import EtcdConfig
from kubelite.storage.etcd.store import EtcdStorage

__all__ = ["EtcdConfig", "EtcdStorage"]
