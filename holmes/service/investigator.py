"""What the service runs for each queued investigation, behind a one-method interface workers depend on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from holmes.config import Settings
from holmes.domain import Diagnosis, Trigger

Progress = Callable[[str], None]


class InvestigationError(Exception):
    """An investigation failed; the message is already one line naming the cause (shown as is)."""


class Investigator(Protocol):
    """Turns a trigger into a diagnosis, reporting progress lines as it goes; may be called from several threads."""

    def __call__(self, trigger: Trigger, progress: Progress) -> Diagnosis: ...


class SourcesInvestigator:
    """The real investigation (holmes.investigation) against data sources opened once for the server's life."""

    def __init__(self, settings: Settings, sources: Any, use_llm: bool = True) -> None:
        self._settings = settings
        self._sources = sources
        self._use_llm = use_llm

    def __call__(self, trigger: Trigger, progress: Progress) -> Diagnosis:
        from holmes.investigation import investigate

        unreachable = unreachable_sources(self._sources)
        for gap in unreachable:
            progress(gap)
        diagnosis = investigate(trigger, self._settings, self._sources, use_llm=self._use_llm, progress=progress)
        if unreachable:
            diagnosis.gaps = list(dict.fromkeys([*unreachable, *diagnosis.gaps]))
        return diagnosis


def unreachable_sources(sources: Any) -> list[str]:
    """Name the data sources that do not answer, so 'not found' in a diagnosis is not mistaken for absence."""
    gaps = []
    kube = getattr(sources, "kube", None)
    if kube is not None:
        try:
            kube.server_version()
        except Exception as exc:
            gaps.append(f"kubernetes: the API server is unreachable ({_one_line(exc)}); cluster reads failed")
    prometheus = getattr(sources, "prometheus", None)
    if prometheus is not None:
        try:
            prometheus.check()
        except Exception as exc:
            gaps.append(f"prometheus: unreachable ({_one_line(exc)}); metric checks failed")
    return gaps


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def open_investigator(settings: Settings, bundle: Path | None = None,
                      use_llm: bool = True) -> Iterator[SourcesInvestigator]:
    """Live cluster and Prometheus from the settings, or a recorded incident through the replay API."""
    from holmes.investigation import open_sources

    with open_sources(settings, bundle) as sources:
        yield SourcesInvestigator(settings, sources, use_llm=use_llm)
