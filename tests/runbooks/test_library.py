"""Loading runbook files: valid ones load, broken ones are reported as `file:line: field: problem`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from holmes.errors import UserError
from holmes.runbooks.library import check_files, load_library, runbook_files
from holmes.runbooks.paths import BUILTIN_DIR, SCHEMA_FILE
from holmes.runbooks.schema import runbook_json_schema

GOOD = """\
id: test.taint
title: Pod pending on a taint
area: scheduling
match:
  pod_phases: [Pending]
steps:
  - id: events
    tool: kubernetes_events
    params: {namespace: "{namespace}", kind: Pod, name: "{pod}"}
checks:
  - id: taint
    root_cause: scheduling.gpu_taint_untolerated
    confidence: 0.9
    summary: "taint {taint}"
    when:
      regex: {step: events, pattern: 'untolerated taint \\{(?P<taint>[^}]+)\\}'}
"""


def write(tmp_path: Path, text: str, name: str = "rb.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str) -> list[str]:
    _, problems = check_files([write(tmp_path, text)])
    return [str(p) for p in problems]


def test_a_valid_runbook_loads(tmp_path: Path) -> None:
    library = load_library([tmp_path], builtin=False) if write(tmp_path, GOOD) else None
    assert library is not None and [rb.id for rb in library] == ["test.taint"]
    assert library.get("test.taint").checks[0].root_cause == "scheduling.gpu_taint_untolerated"  # type: ignore[union-attr]


def test_a_bad_regex_is_reported_with_file_line_and_field(tmp_path: Path) -> None:
    [line] = problems_of(tmp_path, GOOD.replace("(?P<taint>[^}]+)", "(?P<taint>[^}]+"))
    assert line.startswith(f"{tmp_path / 'rb.yaml'}:16: checks[0].when.regex.pattern: invalid regular expression")


def test_an_unknown_field_names_its_line(tmp_path: Path) -> None:
    [line] = problems_of(tmp_path, GOOD.replace("    confidence: 0.9\n", "    confidence: 0.9\n    severity: high\n"))
    assert line.endswith(":14: checks[0].severity: unknown field 'severity'")


def test_a_missing_required_field_points_at_its_parent(tmp_path: Path) -> None:
    [line] = problems_of(tmp_path, GOOD.replace("    confidence: 0.9\n", ""))
    assert line.endswith(":11: checks[0].confidence: required field is missing")


def test_a_check_naming_a_step_that_does_not_exist(tmp_path: Path) -> None:
    [line] = problems_of(tmp_path, GOOD.replace("{step: events,", "{step: logs,"))
    assert line.endswith(":16: checks[0].when.regex.step: no step 'logs' in this runbook")


def test_a_root_cause_outside_the_taxonomy(tmp_path: Path) -> None:
    [line] = problems_of(tmp_path, GOOD.replace("scheduling.gpu_taint_untolerated", "scheduling.gremlins"))
    assert line.endswith(":12: checks[0].root_cause: 'scheduling.gremlins' is not a root-cause id of the taxonomy")


def test_unknown_template_values_in_params_and_summary(tmp_path: Path) -> None:
    lines = problems_of(tmp_path, GOOD.replace('name: "{pod}"', 'name: "{podname}"').replace("{taint}", "{taints}"))
    assert any(":9: steps[0].params: unknown value '{podname}'" in line for line in lines)
    assert any(":14: checks[0].summary: unknown value '{taints}'" in line for line in lines)


def test_a_condition_with_two_tests_is_rejected(tmp_path: Path) -> None:
    text = GOOD.replace("      regex:", "      status: {step: events, status: ok}\n      regex:")
    [line] = problems_of(tmp_path, text)
    assert ":15: checks[0].when: a condition needs exactly one of" in line


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    [line] = problems_of(tmp_path, GOOD.replace("area: scheduling", "area: [scheduling"))
    assert ":4: (file): invalid YAML" in line


def test_duplicate_ids_across_files_are_rejected(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "a.yaml")
    write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(UserError, match=r"b\.yaml:1: id: runbook id 'test.taint' is also defined in .*a\.yaml"):
        load_library([tmp_path], builtin=False)


def test_unknown_tools_are_reported_when_the_tool_list_is_known(tmp_path: Path) -> None:
    _, problems = check_files([write(tmp_path, GOOD)], known_tools={"kubernetes_get"})
    assert [str(p).split(": ", 1)[1] for p in problems] == ["steps[0].tool: unknown tool 'kubernetes_events'"]


def test_a_missing_directory_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such runbook file or directory"):
        runbook_files([tmp_path / "nope"])


def test_the_builtin_library_is_valid_and_covers_every_area() -> None:
    library = load_library()
    assert len(library) >= 30
    assert {rb.area for rb in library} >= {"scheduling", "gpu", "dra", "runtime", "model", "storage", "quota", "perf"}


def test_every_builtin_runbook_carries_the_schema_hint() -> None:
    for path in runbook_files([BUILTIN_DIR]):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        hinted = (path.parent / first.split("$schema=", 1)[1].strip()).resolve()
        assert hinted == SCHEMA_FILE.resolve(), path


def test_the_published_json_schema_is_up_to_date() -> None:
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == runbook_json_schema()
