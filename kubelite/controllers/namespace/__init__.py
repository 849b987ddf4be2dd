"""Namespace deletion: everything inside, then the namespace."""
