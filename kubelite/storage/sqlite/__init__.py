"""The SQLite backend (the embedded default): see :mod:`.store` and, for the layout, :mod:`.schema`."""

from kubelite.storage.sqlite.lock import DatabaseLockedError
from kubelite.storage.sqlite.store import SQLiteConfig, SQLiteStorage

__all__ = ["DatabaseLockedError", "SQLiteConfig", "SQLiteStorage"]
