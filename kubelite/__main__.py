"""``python -m kubelite`` runs the CLI."""

from kubelite.cli.main import main

raise SystemExit(main())
