"""The OCI image data model, pure: references, digests, media types, descriptors, manifests, configs.

Nothing here touches the disk, the network or a process: the engine (``kubelite.runtime``), the
registry client and server (``kubelite.distribution``) and builds (``kubelite.build``) all share these
types and validate untrusted JSON through them. Docker's v2 schema 2 formats are accepted beside OCI's
because real registries and ``docker save`` still produce them.

Modules: :mod:`.errors` (the closed error vocabulary), :mod:`.digest` (digests and chain ids),
:mod:`.reference` (parse and normalise names as Docker does), :mod:`.mediatypes`, :mod:`.descriptor`,
:mod:`.manifest` (manifests and indexes), :mod:`.config` (the image config).
"""

from __future__ import annotations

from kubelite.oci.config import ImageConfig
from kubelite.oci.descriptor import Descriptor, Platform
from kubelite.oci.digest import chain_id, chain_ids, sha256_digest, validate_digest
from kubelite.oci.errors import (
    InvalidConfigError,
    InvalidDigestError,
    InvalidManifestError,
    InvalidReferenceError,
    OCIError,
)
from kubelite.oci.manifest import Index, Manifest, parse_manifest_or_index
from kubelite.oci.reference import Reference, parse_reference

__all__ = [
    "Descriptor",
    "ImageConfig",
    "Index",
    "InvalidConfigError",
    "InvalidDigestError",
    "InvalidManifestError",
    "InvalidReferenceError",
    "Manifest",
    "OCIError",
    "Platform",
    "Reference",
    "chain_id",
    "chain_ids",
    "parse_manifest_or_index",
    "parse_reference",
    "sha256_digest",
    "validate_digest",
]
