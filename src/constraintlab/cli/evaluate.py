"""`constraintlab evaluate`: not built yet (placeholder so the CLI skeleton imports)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
