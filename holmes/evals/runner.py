"""Replay recorded incidents through the real investigation and score each diagnosis."""

from __future__ import annotations

import concurrent.futures as futures
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from pydantic import BaseModel

from holmes.config import Settings
from holmes.domain import Diagnosis
from holmes.evals.cassettes import CassettePolicy, no_cassette
from holmes.evals.score import Expected, score


class IncidentRun(BaseModel):
    id: str
    path: str
    tags: list[str] = []
    repeat: int = 0
    verdict: str  # pass | fail | error
    root_cause: str = ""
    expected_root_cause: str = ""
    confidence: float = 0.0
    evidence_recall: float = 0.0
    evidence_missing: list[str] = []
    remediation_recall: float = 0.0
    forbidden_hits: list[str] = []
    steps: int = 0
    tool_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    wall_s: float = 0.0
    degraded: bool = False
    error: str = ""


def find_bundles(paths: Iterable[Path]) -> list[Path]:
    """Each path is a bundle (has incident.yaml) or a directory of bundles; a missing path is an error run."""
    found: list[Path] = []
    for path in paths:
        if (path / "incident.yaml").exists() or not path.is_dir():
            found.append(path)
        else:
            found.extend(sorted(p for p in path.iterdir() if p.is_dir()))
    return found


def run_incident(bundle_dir: Path, settings: Settings, *, use_llm: bool, repeat: int = 0,
                 investigate_fn: Callable[..., Diagnosis] | None = None,
                 cassettes: CassettePolicy | None = None) -> IncidentRun:
    """One replay: never raises; a broken bundle or a failing model is an `error` run."""
    from holmes.bundle.loader import load_spec
    from holmes.investigation import investigate, open_sources

    started = time.perf_counter()
    base = IncidentRun(id=bundle_dir.name, path=str(bundle_dir), repeat=repeat, verdict="error")
    try:
        if not bundle_dir.is_dir():
            raise FileNotFoundError(f"{bundle_dir}: bundle directory not found")
        spec = load_spec(bundle_dir)  # the objects are loaded once, by open_sources
        expected = Expected.model_validate(spec.expected.model_dump())
        check_expected(bundle_dir, spec.id, expected)
        base.id, base.tags = spec.id, list(spec.tags)
        base.expected_root_cause = expected.root_cause
        recording = cassettes.use(spec.id) if cassettes else no_cassette(spec.id)
        with open_sources(settings, bundle_dir) as sources, recording:
            diagnosis = (investigate_fn or investigate)(spec.trigger, settings, sources, use_llm=use_llm)
    except Exception as exc:
        base.error = _one_line(exc)
        base.wall_s = round(time.perf_counter() - started, 3)
        return base
    result = score(diagnosis, expected)
    usage = diagnosis.usage
    return base.model_copy(update={
        "verdict": "pass" if result.passed else "fail",
        "root_cause": diagnosis.root_cause,
        "confidence": diagnosis.confidence,
        "evidence_recall": result.evidence_recall, "evidence_missing": result.evidence_missing,
        "remediation_recall": result.remediation_recall, "forbidden_hits": result.forbidden_hits,
        "steps": usage.steps, "tool_calls": usage.tool_calls, "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens, "cost": usage.cost,
        "degraded": diagnosis.degraded,
        "wall_s": round(time.perf_counter() - started, 3)})


def check_expected(bundle_dir: Path, incident_id: str, expected: Expected) -> None:
    """A report keyed by id and scored against taxonomy ids must not rest on a typo in incident.yaml."""
    from holmes.errors import UserError
    from holmes.runbooks.taxonomy import load_taxonomy

    where = f"{bundle_dir.name}/incident.yaml"
    if incident_id != bundle_dir.name:
        raise UserError(f"{where}: field id: {incident_id!r} must equal the bundle directory's name "
                        f"{bundle_dir.name!r}")
    taxonomy = load_taxonomy()
    if expected.root_cause not in taxonomy:
        raise UserError(f"{where}: field expected.root_cause: {expected.root_cause!r} is not a root-cause id "
                        "of the taxonomy (see `holmes runbooks list`)")
    for claim in expected.forbidden:  # the scorer reads an entry with a '.' as a root-cause id, else as claim text
        if "." in claim and claim not in taxonomy:
            raise UserError(f"{where}: field expected.forbidden: {claim!r} has a '.' so it is scored as a root-cause "
                            "id, but the taxonomy has no such id")


def _one_line(exc: Exception) -> str:
    """A bad bundle's own message as is; anything else with its type, so a crash is told from bad input."""
    from holmes.errors import UserError

    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, UserError | FileNotFoundError):
        return text
    return f"{type(exc).__name__}: {text}"


def run_all(bundles: list[Path], settings: Settings, *, use_llm: bool, repeat: int = 1, jobs: int = 1,
            cassettes: CassettePolicy | None = None,
            on_result: Callable[[IncidentRun], None] | None = None) -> list[IncidentRun]:
    """Run every bundle `repeat` times with at most `jobs` at once; keep a stable order in the output."""
    work = [(b, r) for b in bundles for r in range(repeat)]
    def one(item: tuple[Path, int]) -> IncidentRun:
        run = run_incident(item[0], settings, use_llm=use_llm, repeat=item[1], cassettes=cassettes)
        if on_result:
            on_result(run)
        return run

    with futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        runs = list(pool.map(one, work))
    return runs


def with_tags(bundles: list[Path], tags: set[str]) -> list[Path]:
    """Bundles whose incident.yaml has one of `tags`; unreadable ones are kept so their error is reported."""
    import yaml

    kept = []
    for bundle in bundles:
        try:
            spec = yaml.safe_load((bundle / "incident.yaml").read_text(encoding="utf-8")) or {}
            bundle_tags = set(spec.get("tags") or [])
        except Exception:
            kept.append(bundle)
            continue
        if bundle_tags & tags:
            kept.append(bundle)
    return kept
