"""The root-cause taxonomy: stable ids a diagnosis names, each with an explanation and default remediation."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from holmes.errors import UserError
from holmes.runbooks.paths import TAXONOMY_FILE

UNKNOWN = "unknown"


class RootCause(BaseModel):
    """One failure class: what it is, why it happens, what usually fixes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    area: str
    explanation: str
    remediation: list[str] = Field(default_factory=list)


class Taxonomy:
    """All root causes by id, in file order."""

    def __init__(self, causes: list[RootCause]) -> None:
        self._by_id = {cause.id: cause for cause in causes}

    def __contains__(self, cause_id: object) -> bool:
        return cause_id in self._by_id

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, cause_id: str) -> RootCause | None:
        return self._by_id.get(cause_id)

    def ids(self) -> list[str]:
        return list(self._by_id)


def parse_taxonomy(text: str, origin: str) -> Taxonomy:
    """Read taxonomy YAML (a mapping of id -> entry); errors name the file and the id."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{origin}:{mark.line + 1}" if mark else origin
        raise UserError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(raw, dict):
        raise UserError(f"{origin}: the taxonomy must be a mapping of root-cause id -> entry")
    causes = []
    for cause_id, entry in raw.items():
        try:
            causes.append(RootCause(id=str(cause_id), **(entry or {})))
        except (ValidationError, TypeError) as exc:
            raise UserError(f"{origin}: {cause_id}: {_first_problem(exc)}") from None
    if UNKNOWN not in {c.id for c in causes}:
        raise UserError(f"{origin}: the taxonomy must define '{UNKNOWN}'")
    return Taxonomy(causes)


def _first_problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc)


@lru_cache(maxsize=4)
def load_taxonomy(path: Path = TAXONOMY_FILE) -> Taxonomy:
    """The taxonomy file, parsed once per process."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot read the taxonomy: {exc.strerror}") from None
    return parse_taxonomy(text, str(path))
