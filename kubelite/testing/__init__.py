"""Verified fakes and harnesses for tests: fake runtime, in-process cluster pieces, real etcd fixture."""
