"""Login: prove credentials against a registry (through its challenge) before saving them."""

from __future__ import annotations

from kubelite.distribution.client.auth import CredentialStore
from kubelite.distribution.client.config import ClientConfig, Credentials, api_host
from kubelite.distribution.client.transport import Transport


async def login(registry: str, creds: Credentials, config: ClientConfig) -> None:
    """Check ``creds`` with ``GET /v2/`` (following a Basic or Bearer challenge), then save them.

    Raises ``RegistryError`` (UNAUTHORIZED) when the registry refuses them, ``TransportError``
    when it cannot be reached; nothing is saved then.
    """
    async with Transport(api_host(registry), config, creds) as t:
        resp = await t.request("GET", "/v2/", scope="", expect={200})
        resp.release()
    CredentialStore(config.auth_file).save(registry, creds)


def logout(registry: str, config: ClientConfig) -> bool:
    return CredentialStore(config.auth_file).remove(registry)
