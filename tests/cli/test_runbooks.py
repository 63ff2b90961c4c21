"""`holmes runbooks list | show | validate | schema` and `holmes taxonomy`, through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from holmes.cli.app import app
from holmes.cli.errors import run_guarded
from holmes.runbooks.paths import SCHEMA_FILE

GOOD = """\
id: user.pending-taint
title: Pending on a taint
area: scheduling
match: {pod_reasons: [Unschedulable]}
steps:
  - {id: events, tool: kubernetes_events, params: {namespace: "{namespace}", kind: Pod, name: "{pod}"}}
checks:
  - id: taint
    root_cause: scheduling.gpu_taint_untolerated
    confidence: 0.9
    when: {regex: {step: events, pattern: 'untolerated taint'}}
"""


def run(args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> tuple[int, str, str]:
    monkeypatch.setenv("HOLMES_CONFIG", str(tmp_path / "config.yaml"))
    (tmp_path / "config.yaml").write_text("{}\n", encoding="utf-8")
    code = run_guarded(app, args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_validate_accepts_the_builtin_library(capsys, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(["runbooks", "validate"], capsys, monkeypatch, tmp_path)
    assert code == 0 and out.startswith("ok: ")


def test_validate_rejects_a_broken_runbook_with_file_line_and_field(capsys, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "broken.yaml"
    broken.write_text(GOOD.replace("confidence: 0.9", "confidence: 9"), encoding="utf-8")
    code, _, err = run(["runbooks", "validate", str(broken)], capsys, monkeypatch, tmp_path)
    assert code == 1
    lines = err.splitlines()
    assert f"{broken}:10: checks[0].confidence: Input should be less than or equal to 1" in lines
    assert lines[-1] == "1 problem(s) in 1 of 1 file(s)"
    broken.write_text(GOOD.replace("kubernetes_events", "kubernetes_eventz"), encoding="utf-8")
    code, _, err = run(["runbooks", "validate", str(broken)], capsys, monkeypatch, tmp_path)
    assert code == 1 and f"{broken}:6: steps[0].tool: unknown tool 'kubernetes_eventz'" in err.splitlines()


def test_a_user_directory_is_listed_and_shown_next_to_the_builtin_ones(capsys, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    user = tmp_path / "mine"
    user.mkdir()
    (user / "taint.yaml").write_text(GOOD, encoding="utf-8")
    code, out, _ = run(["runbooks", "list", "--runbooks", str(user), "-o", "json"], capsys, monkeypatch, tmp_path)
    rows = {row["id"]: row for row in json.loads(out)}
    assert code == 0 and rows["user.pending-taint"]["file"] == str(user / "taint.yaml")
    assert "scheduling.gpu-taint-untolerated" in rows
    code, out, _ = run(["runbooks", "show", "user.pending-taint", "--runbooks", str(user)], capsys, monkeypatch,
                       tmp_path)
    assert code == 0 and "root_cause: scheduling.gpu_taint_untolerated" in out


def test_an_invalid_user_runbook_stops_list_with_one_clear_error(capsys, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    user = tmp_path / "mine"
    user.mkdir()
    (user / "bad.yaml").write_text(GOOD.replace("area: scheduling", "area: astrology"), encoding="utf-8")
    code, _, err = run(["runbooks", "list", "--runbooks", str(user)], capsys, monkeypatch, tmp_path)
    assert code == 2 and err.startswith("holmes: error: invalid runbooks:")
    assert f"{user / 'bad.yaml'}:3: area: Input should be" in err


def test_show_of_an_unknown_runbook_is_a_user_error(capsys, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(["runbooks", "show", "no.such"], capsys, monkeypatch, tmp_path)
    assert code == 2 and "unknown runbook 'no.such'" in err


def test_schema_prints_the_published_schema(capsys, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(["runbooks", "schema"], capsys, monkeypatch, tmp_path)
    assert code == 0 and json.loads(out) == json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def test_taxonomy_lists_every_root_cause_as_json(capsys, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(["taxonomy", "-o", "json"], capsys, monkeypatch, tmp_path)
    ids = [entry["id"] for entry in json.loads(out)]
    assert code == 0 and "dra.deviceclass_missing" in ids and ids[-1] == "unknown"


def test_validate_reports_a_user_runbook_reusing_a_builtin_id(capsys, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from holmes.runbooks.library import check_files, runbook_files
    from holmes.runbooks.paths import BUILTIN_DIR

    builtin = next(iter(check_files(runbook_files([BUILTIN_DIR]))[0]))
    user = tmp_path / "mine"
    user.mkdir()
    (user / "copy.yaml").write_text(GOOD.replace("user.pending-taint", builtin.id), encoding="utf-8")
    code, _, err = run(["runbooks", "validate", str(user)], capsys, monkeypatch, tmp_path)
    assert code == 1
    assert f"{user / 'copy.yaml'}:1: id: runbook id '{builtin.id}' is also defined in " in err
    code, out, _ = run(["runbooks", "validate", str(BUILTIN_DIR)], capsys, monkeypatch, tmp_path)
    assert code == 0 and out.startswith("ok: ")


def test_validate_reports_a_step_param_the_tool_does_not_take(capsys, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "typo.yaml"
    broken.write_text(GOOD.replace('kind: Pod, name: "{pod}"', 'kind: Pod, nom: "{pod}"'), encoding="utf-8")
    code, _, err = run(["runbooks", "validate", str(broken)], capsys, monkeypatch, tmp_path)
    assert code == 1
    line = next(line for line in err.splitlines() if "steps[0].params.nom" in line)
    assert line.startswith(f"{broken}:6: steps[0].params.nom: unknown parameter of tool kubernetes_events (known: ")
    assert "name" in line.partition("(known: ")[2] and "namespace" in line.partition("(known: ")[2]
