"""The controller manager's controllers: one module or package each, reconcilers only.

Each controller is level-triggered: informer events only enqueue keys; ``sync(key)`` re-reads the
current state, computes what should be (a pure function, in its own module), acts through the client,
and writes status.
"""
