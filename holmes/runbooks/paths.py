"""Where the built-in runbook library and taxonomy live (the repository's `runbooks/` directory)."""

from __future__ import annotations

from holmes.paths import builtin_runbooks

BUILTIN_DIR = builtin_runbooks()
TAXONOMY_FILE = BUILTIN_DIR / "taxonomy.yaml"
SCHEMA_FILE = BUILTIN_DIR / "runbook.schema.json"
