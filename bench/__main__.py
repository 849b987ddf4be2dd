"""``python -m bench [NAME...]``: run every benchmark module under bench/ (or the named ones).

Each module has a ``main()`` that prints its own table; a failing benchmark is reported and the rest
still run, and the exit code says whether any failed.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from pathlib import Path

SKIP = {"__init__", "__main__", "harness"}


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = argv or sorted(p.stem for p in here.glob("*.py") if p.stem not in SKIP)
    failed = []
    for name in names:
        print(f"\n### bench/{name}.py", flush=True)
        try:
            importlib.import_module(f"bench.{name}").main()
        except Exception:
            traceback.print_exc()
            failed.append(name)
    if failed:
        print(f"\nbenchmarks that failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
