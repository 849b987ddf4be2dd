"""The Kubernetes object model, pure: resources, Status errors, metadata, selectors, quantities,
patches, defaults, validation, tables, protobuf decoding and OpenAPI. No I/O lives here."""
