"""Pod garbage collection: terminated pods past a threshold, orphans of vanished nodes."""
