"""`holmes investigate` and `holmes ask` (filled in by the core issue)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    return None
