"""Where the built-in data (runbooks, toolsets, recorded incidents) lives: beside the package, or $HOLMES_HOME."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    explicit = os.environ.get("HOLMES_HOME")
    return Path(explicit) if explicit else Path(__file__).resolve().parent.parent


def builtin_runbooks() -> Path:
    return home() / "runbooks"


def builtin_toolsets() -> Path:
    return home() / "toolsets"


def builtin_incidents() -> Path:
    return home() / "evals" / "incidents"
