"""Evaluation reports: pass rates with confidence intervals, per-incident rows; JSON, markdown, terminal."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from typing import Any

from holmes.evals.runner import IncidentRun


def wilson(passed: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval: honest for small samples and rates near 0 or 1."""
    if total == 0:
        return 0.0, 0.0
    p = passed / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return round(max(0.0, centre - half), 3), round(min(1.0, centre + half), 3)


def _rate(runs: list[IncidentRun]) -> dict[str, Any]:
    passed = sum(r.verdict == "pass" for r in runs)
    low, high = wilson(passed, len(runs))
    return {"pass_rate": round(passed / len(runs), 4) if runs else 0.0, "passed": passed, "runs": len(runs),
            "ci95": [low, high]}


def build_report(runs: list[IncidentRun], *, model: str, wall_s: float, repeat: int) -> dict[str, Any]:
    by_tag: dict[str, list[IncidentRun]] = defaultdict(list)
    for run in runs:
        for tag in run.tags or ["untagged"]:
            by_tag[tag].append(run)
    times = [r.wall_s for r in runs]
    overall = _rate(runs)
    return {
        "pass_rate": overall["pass_rate"],
        "passed": overall["passed"],
        "runs": overall["runs"],
        "ci95": overall["ci95"],
        "incidents": len({r.path for r in runs}),
        "errors": sum(r.verdict == "error" for r in runs),
        "repeat": repeat,
        "model": model,
        "wall_s": round(wall_s, 3),
        "median_incident_s": round(statistics.median(times), 3) if times else 0.0,
        "evidence_recall": round(statistics.fmean(r.evidence_recall for r in runs), 3) if runs else 0.0,
        "tokens": {"input": sum(r.input_tokens for r in runs), "output": sum(r.output_tokens for r in runs)},
        "cost": round(sum(r.cost for r in runs), 6),
        "by_tag": {tag: _rate(group) for tag, group in sorted(by_tag.items())},
        "results": [r.model_dump() for r in runs],
    }


def to_markdown(report: dict[str, Any]) -> str:
    low, high = report["ci95"]
    lines = [
        "# holmes evaluation", "",
        f"Pass rate **{report['pass_rate']:.1%}** ({report['passed']}/{report['runs']} runs, "
        f"95% CI {low:.1%}–{high:.1%}), model `{report['model']}`, {report['incidents']} incidents × "
        f"{report['repeat']}; wall {report['wall_s']:.1f}s, median per incident {report['median_incident_s']:.2f}s; "
        f"evidence recall {report['evidence_recall']:.0%}; tokens {report['tokens']['input']} in / "
        f"{report['tokens']['output']} out; cost ${report['cost']:.4f}.", "",
        "| tag | pass rate | runs | 95% CI |", "|---|---|---|---|",
    ]
    for tag, rate in report["by_tag"].items():
        low, high = rate["ci95"]
        lines.append(f"| {tag} | {rate['pass_rate']:.0%} | {rate['runs']} | {low:.0%}–{high:.0%} |")
    lines += ["", "| incident | verdict | root cause given | expected | evidence | steps | tool calls | tokens | "
              "cost | wall s |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in report["results"]:
        given = r["root_cause"] or r["error"]
        lines.append(f"| {r['id']} | {r['verdict']} | {given} | {r['expected_root_cause']} | "
                     f"{r['evidence_recall']:.0%} | {r['steps']} | {r['tool_calls']} | "
                     f"{r['input_tokens'] + r['output_tokens']} | {r['cost']:.4f} | {r['wall_s']:.2f} |")
    return "\n".join(lines) + "\n"


def compare(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[str]]:
    """Incidents that regressed (passed before, not now) and that were fixed, by majority verdict."""
    def verdicts(report: dict[str, Any]) -> dict[str, bool]:
        tally: dict[str, list[bool]] = defaultdict(list)
        for r in report.get("results", []):
            tally[r["id"]].append(r["verdict"] == "pass")
        return {k: sum(v) * 2 > len(v) for k, v in tally.items()}

    before, after = verdicts(old), verdicts(new)
    return {
        "regressions": sorted(k for k in before.keys() & after.keys() if before[k] and not after[k]),
        "fixes": sorted(k for k in before.keys() & after.keys() if after[k] and not before[k]),
        "added": sorted(after.keys() - before.keys()),
        "removed": sorted(before.keys() - after.keys()),
    }
