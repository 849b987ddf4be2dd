"""Compact transcriptions of the Kubernetes API types (k8s.io/api, 1.32), one module per family.

Each module exports ``TEXT`` in the small line format :mod:`kubelite.api.schema` parses; the format is
described there. Types marked ``open`` keep unknown fields (we did not transcribe every field), so
Strict field validation never rejects a real field we left out.
"""
