"""kubelite: Kubernetes and Docker, built again in Python, as one installable system.

This module stays tiny on purpose: every CLI invocation imports it, and ``kubelite --version`` must
start within a few times a bare interpreter.
"""

__version__ = "0.1.0"
KUBERNETES_VERSION = "v1.32.0"
