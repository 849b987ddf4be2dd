"""Media types of the OCI image spec and of Docker's v2 schema 2, and how they relate.

Docker's types are accepted everywhere OCI's are (a ``docker save`` or a Docker Hub manifest uses
them); what we write ourselves is OCI.
"""

from __future__ import annotations

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
OCI_LAYER_NONDIST = "application/vnd.oci.image.layer.nondistributable.v1.tar"
OCI_LAYER_NONDIST_GZIP = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_LAYER_FOREIGN_GZIP = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

MANIFEST_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
CONFIG_TYPES = frozenset({OCI_CONFIG, DOCKER_CONFIG})
GZIP_LAYER_TYPES = frozenset({OCI_LAYER_GZIP, OCI_LAYER_NONDIST_GZIP, DOCKER_LAYER_GZIP,
                              DOCKER_LAYER_FOREIGN_GZIP})
PLAIN_LAYER_TYPES = frozenset({OCI_LAYER, OCI_LAYER_NONDIST, DOCKER_LAYER})
LAYER_TYPES = GZIP_LAYER_TYPES | PLAIN_LAYER_TYPES | frozenset({OCI_LAYER_ZSTD})


def is_layer(media_type: str) -> bool:
    return media_type in LAYER_TYPES


def layer_compression(media_type: str) -> str:
    """``"gzip"``, ``"zstd"`` or ``""`` (plain tar) for a layer media type."""
    if media_type in GZIP_LAYER_TYPES:
        return "gzip"
    if media_type == OCI_LAYER_ZSTD:
        return "zstd"
    return ""
