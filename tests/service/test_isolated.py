"""Investigations in child processes: same answer as in-process, progress forwarded, a dead child replaced."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from holmes.bundle.loader import load_spec
from holmes.config import Settings
from holmes.domain import Trigger
from holmes.errors import UserError
from holmes.investigation import investigate, open_sources
from holmes.service.isolated import InvestigationCrashed, ProcessInvestigator

from .support import alert_bundle, wait_until


def test_child_process_investigation_matches_in_process_and_survives_a_killed_child() -> None:
    bundle = alert_bundle()
    trigger = Trigger(alert=load_spec(bundle).trigger.alert)
    with open_sources(Settings(), bundle) as sources:
        direct = investigate(trigger, Settings(), sources, use_llm=False)
    with ProcessInvestigator(Settings(), bundle, processes=1, use_llm=False) as investigator:
        lines: list[str] = []
        diagnosis = investigator(trigger, lines.append)
        assert diagnosis.root_cause == direct.root_cause
        assert [e.excerpt for e in diagnosis.evidence] == [e.excerpt for e in direct.evidence]
        assert lines, "progress lines cross the process boundary"

        [victim] = investigator.pids
        os.kill(victim, signal.SIGKILL)  # e.g. the kernel's OOM killer
        wait_until(lambda: not Path(f"/proc/{victim}").exists() or "Z" in _state(victim), what="the child to die")
        with pytest.raises(InvestigationCrashed, match="the investigation process died"):
            investigator(trigger, lines.append)
        assert investigator.pids != [victim]
        assert investigator(trigger, lines.append).root_cause == direct.root_cause


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def test_a_bundle_the_child_cannot_open_fails_at_start(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "incident.yaml").write_text("id: x\n")
    with pytest.raises(UserError, match=r"incident\.yaml"):
        ProcessInvestigator(Settings(), broken, processes=1)
