"""Image references parsed and normalised as Docker does.

``busybox`` -> ``docker.io/library/busybox:latest``; ``localhost:5000/x:y`` keeps its registry;
``name@sha256:<hex>`` pins a digest (no default tag then); ``name:tag@digest`` keeps both. The first
path component is a registry host when it has a ``.`` or ``:`` or is ``localhost``. Repository paths
must be lowercase; tags are ``[\\w][\\w.-]{0,127}``; a bare 64-hex string is an image id, never a name.
The grammar follows distribution's reference package.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubelite.oci.digest import validate_digest
from kubelite.oci.errors import InvalidReferenceError

DEFAULT_DOMAIN = "docker.io"
LEGACY_DOMAIN = "index.docker.io"
OFFICIAL_PREFIX = "library/"
DEFAULT_TAG = "latest"
NAME_MAX = 255

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_PATH_RE = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_RE = re.compile(rf"^(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$")
_TAG_RE = re.compile(r"^[\w][\w.-]{0,127}$")
_ID_RE = re.compile(r"^[a-f0-9]{64}$")


@dataclass(frozen=True)
class Reference:
    """A normalised reference: ``domain/path[:tag][@digest]``."""

    domain: str
    path: str
    tag: str = ""
    digest: str = ""

    @property
    def name(self) -> str:
        """The repository's full name, ``docker.io/library/busybox``."""
        return f"{self.domain}/{self.path}"

    def __str__(self) -> str:
        out = self.name
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out

    @property
    def familiar_name(self) -> str:
        """The repository as Docker prints it: ``busybox``, ``user/app``, ``localhost:5000/x``."""
        if self.domain != DEFAULT_DOMAIN:
            return self.name
        return self.path.removeprefix(OFFICIAL_PREFIX) if self.path.count("/") == 1 else self.path

    def familiar(self) -> str:
        out = self.familiar_name
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out

    def with_tag(self, tag: str) -> Reference:
        if not _TAG_RE.match(tag):
            raise InvalidReferenceError(f"invalid tag format {tag!r}")
        return Reference(self.domain, self.path, tag, "")

    def with_digest(self, digest: str) -> Reference:
        return Reference(self.domain, self.path, "", validate_digest(digest))


def looks_like_id(text: str) -> bool:
    return bool(_ID_RE.match(text))


def parse_reference(text: str, *, default_tag: bool = True) -> Reference:
    """Parse and normalise ``text``; ``latest`` is added when neither tag nor digest is given."""
    if not isinstance(text, str) or not text:
        raise InvalidReferenceError("invalid reference format: empty reference")
    if text != text.strip() or any(c.isspace() for c in text):
        raise InvalidReferenceError(f"invalid reference format: {text!r} contains whitespace")
    rest, _, digest = text.partition("@")
    if digest:
        try:
            validate_digest(digest)
        except ValueError as err:
            raise InvalidReferenceError(f"invalid reference format: {err}") from None
    # A tag is after the last ':' unless that ':' is part of a registry port (followed by a '/').
    tag = ""
    colon = rest.rfind(":")
    if colon > rest.rfind("/"):
        rest, tag = rest[:colon], rest[colon + 1:]
        if not _TAG_RE.match(tag):
            raise InvalidReferenceError(f"invalid reference format: bad tag {tag!r} in {text!r}")
    if not rest:
        raise InvalidReferenceError(f"invalid reference format: no repository name in {text!r}")
    if looks_like_id(rest) and not tag and not digest:
        raise InvalidReferenceError(
            f"invalid repository name ({rest}), cannot specify 64-byte hexadecimal strings")
    domain, path = _split_domain(rest)
    if not _DOMAIN_RE.match(domain):
        raise InvalidReferenceError(f"invalid reference format: bad registry host {domain!r}")
    if not _PATH_RE.match(path):
        if _PATH_RE.match(path.lower()):
            raise InvalidReferenceError(
                f"invalid reference format: repository name ({path}) must be lowercase")
        raise InvalidReferenceError(f"invalid reference format: {text!r}")
    if len(domain) + 1 + len(path) > NAME_MAX:
        raise InvalidReferenceError(f"invalid reference format: repository name longer than {NAME_MAX}")
    if not tag and not digest and default_tag:
        tag = DEFAULT_TAG
    return Reference(domain=domain, path=path, tag=tag, digest=digest)


def _split_domain(name: str) -> tuple[str, str]:
    first, sep, remainder = name.partition("/")
    if not sep or not ("." in first or ":" in first or first == "localhost"):
        domain, path = DEFAULT_DOMAIN, name
    else:
        domain, path = first, remainder
    if domain == LEGACY_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in path:
        path = OFFICIAL_PREFIX + path
    return domain, path
