"""Render a Diagnosis as text (rich), markdown or JSON; the JSON shape is the public contract."""

from __future__ import annotations

import json

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from holmes.domain import Diagnosis

FORMATS = ("text", "markdown", "json")


def to_json(diagnosis: Diagnosis) -> str:
    return json.dumps(diagnosis.model_dump(mode="json"), indent=2)


def usage_line(diagnosis: Diagnosis) -> str:
    u = diagnosis.usage
    return (f"steps {u.steps} · tool calls {u.tool_calls} · tokens {u.input_tokens} in / {u.output_tokens} out"
            f" · cost ${u.cost:.4f} · {u.wall_s:.2f}s · source {diagnosis.source}"
            + (" (degraded)" if diagnosis.degraded else ""))


def to_markdown(diagnosis: Diagnosis) -> str:
    lines = [f"## Root cause: `{diagnosis.root_cause}` (confidence {diagnosis.confidence:.0%})", ""]
    if diagnosis.title:
        lines += [f"**{diagnosis.title}**", ""]
    if diagnosis.summary:
        lines += [diagnosis.summary, ""]
    if diagnosis.evidence:
        lines += ["### Evidence", ""]
        lines += [f"- `{e.tool}` [{e.call_id}]: {e.excerpt}" for e in diagnosis.evidence]
        lines.append("")
    if diagnosis.remediation:
        lines += ["### Remediation", ""] + [f"{i}. {step}" for i, step in enumerate(diagnosis.remediation, 1)] + [""]
    if diagnosis.alternatives:
        lines += ["### Other candidates", ""]
        lines += [f"- `{f.root_cause}` ({f.confidence:.0%}): {f.summary}" for f in diagnosis.alternatives] + [""]
    if diagnosis.hypotheses:
        lines += ["### Unverified hypotheses", ""] + [f"- {h}" for h in diagnosis.hypotheses] + [""]
    if diagnosis.gaps:
        lines += ["### Gaps", ""] + [f"- {g}" for g in diagnosis.gaps] + [""]
    if diagnosis.runbooks_used:
        lines += ["Runbooks: " + _first(diagnosis.runbooks_used, 8), ""]
    lines.append(f"_{usage_line(diagnosis)}_")
    return "\n".join(lines)


def _first(names: list[str], count: int) -> str:
    shown = ", ".join(names[:count])
    return shown + (f" (+{len(names) - count} more)" if len(names) > count else "")


def print_text(diagnosis: Diagnosis, console: Console) -> None:
    colour = "green" if diagnosis.root_cause != "unknown" else "yellow"
    head = f"[bold {colour}]{escape(diagnosis.root_cause)}[/] · confidence {diagnosis.confidence:.0%}"
    if diagnosis.title:
        head += f"\n[bold]{escape(diagnosis.title)}[/]"
    if diagnosis.summary:
        head += f"\n{escape(diagnosis.summary)}"
    console.print(Panel(head, title="root cause", expand=False))
    if diagnosis.evidence:
        console.print("[bold]Evidence[/]")
        for e in diagnosis.evidence:
            console.print(f"  • [cyan]{escape(e.tool)}[/] [dim]\\[{escape(e.call_id)}][/] {escape(e.excerpt)}")
    if diagnosis.remediation:
        console.print("[bold]Remediation[/]")
        for i, step in enumerate(diagnosis.remediation, 1):
            console.print(f"  {i}. {escape(step)}")
    for f in diagnosis.alternatives:
        console.print(f"[bold]Also possible[/] {escape(f.root_cause)} ({f.confidence:.0%}): {escape(f.summary)}")
    for h in diagnosis.hypotheses:
        console.print(f"[magenta]Hypothesis (no cited evidence)[/] {escape(h)}")
    for g in diagnosis.gaps:
        console.print(f"[yellow]Gap[/] {escape(g)}")
    if diagnosis.runbooks_used:
        console.print(f"[dim]Runbooks: {escape(_first(diagnosis.runbooks_used, 4))}[/]")
    console.print(f"[dim]{escape(usage_line(diagnosis))}[/]")
