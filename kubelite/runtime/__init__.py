"""The container engine: images, layers, snapshots, containers on runc, networking.

It stands alone, like containerd: nothing here imports the API model or the client. Modules are
imported lazily by the CLI verbs (the engine CLI's start-up time matters), so this package imports
nothing itself.

Image side (see ``docs/engine-images.md``): :mod:`.content` (blobs by digest), :mod:`.images` (names
to manifests), :mod:`.layers` (safe unpack and diff of layer tarballs), :mod:`.snapshots` (overlayfs
snapshots keyed by chain id), :mod:`.archive` (docker-archive / OCI-layout save and load, import),
:mod:`.bootstrap` (base images without a registry), :mod:`.lock` (file locks between CLIs).
"""
