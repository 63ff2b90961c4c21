import pytest

from holmes.evals.report import build_report, compare, to_markdown, wilson
from holmes.evals.runner import IncidentRun


def _run(incident: str, verdict: str, tags: list[str], repeat: int = 0) -> IncidentRun:
    return IncidentRun(id=incident, path=f"/b/{incident}", tags=tags, repeat=repeat, verdict=verdict,
                       root_cause="x", expected_root_cause="x", wall_s=0.5)


def test_wilson_interval_contains_the_rate_and_narrows_with_more_runs():
    low5, high5 = wilson(4, 5)
    low50, high50 = wilson(40, 50)
    assert low5 < 0.8 < high5 and low50 < 0.8 < high50
    assert (high50 - low50) < (high5 - low5)
    assert wilson(0, 0) == (0.0, 0.0)


def test_report_has_top_level_pass_rate_and_per_tag_rates():
    runs = [_run("a", "pass", ["dra"]), _run("b", "fail", ["dra", "gpu"]), _run("c", "error", ["gpu"])]
    report = build_report(runs, model="none", wall_s=1.0, repeat=1)
    assert report["pass_rate"] == pytest.approx(1 / 3, abs=1e-3)
    assert report["by_tag"]["dra"]["pass_rate"] == 0.5
    assert report["by_tag"]["gpu"]["passed"] == 0
    assert report["errors"] == 1
    assert "| b | fail |" in to_markdown(report)


def test_compare_lists_regressions_and_fixes_by_majority_over_repeats():
    old = build_report([_run("a", "pass", []), _run("b", "fail", []), _run("b", "fail", [], 1)], model="m",
                       wall_s=1, repeat=2)
    new = build_report([_run("a", "fail", []), _run("b", "pass", []), _run("b", "pass", [], 1),
                        _run("c", "pass", [])], model="m", wall_s=1, repeat=2)
    diff = compare(old, new)
    assert diff == {"regressions": ["a"], "fixes": ["b"], "added": ["c"], "removed": []}
