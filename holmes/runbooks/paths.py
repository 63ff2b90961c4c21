"""Where the built-in runbook library and taxonomy live (the repository's `runbooks/` directory)."""

from __future__ import annotations

from pathlib import Path

BUILTIN_DIR = Path(__file__).resolve().parents[2] / "runbooks"
TAXONOMY_FILE = BUILTIN_DIR / "taxonomy.yaml"
SCHEMA_FILE = BUILTIN_DIR / "runbook.schema.json"
