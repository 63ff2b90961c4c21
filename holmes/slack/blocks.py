"""Block Kit for a finished investigation: root cause and confidence first, then the why, the fix, and the cost."""

from __future__ import annotations

from typing import Any

from holmes.domain import Diagnosis, Evidence
from holmes.slack.limits import Block, clip, context, escape, header, messages, sections

EVIDENCE_SHOWN = 5  # evidence items in the message; the full list goes into a file when there are more
EXCERPT_CHARS = 400
GAPS_SHOWN = 5
FEEDBACK_CORRECT = "holmes_feedback_correct"
FEEDBACK_WRONG = "holmes_feedback_wrong"


def diagnosis_messages(view: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages that present one completed investigation, the feedback buttons on the last one."""
    diagnosis = Diagnosis.model_validate(view.get("diagnosis") or {})
    blocks: list[Block] = [header(f"{diagnosis.title or diagnosis.root_cause}"), *sections(_verdict(diagnosis))]
    if diagnosis.summary:
        blocks += sections(escape(diagnosis.summary))
    blocks += _evidence(diagnosis.evidence)
    blocks += _listed("Remediation", [escape(step) for step in diagnosis.remediation], numbered=True)
    blocks += _listed("Alternatives", [_alternative(finding) for finding in diagnosis.alternatives])
    blocks += _listed("Gaps", [escape(gap) for gap in diagnosis.gaps[:GAPS_SHOWN]])
    blocks.append(context(footer(view, diagnosis)))
    out = messages(blocks, fallback_text(diagnosis), reserved=1)
    out[-1]["blocks"].append(feedback_buttons(str(view.get("id", ""))))
    return out


def fallback_text(diagnosis: Diagnosis) -> str:
    """The notification line: what went wrong, in one line."""
    title = f": {diagnosis.title}" if diagnosis.title else ""
    return f"{diagnosis.root_cause}{title} (confidence {diagnosis.confidence:.0%})"


def evidence_file(view: dict[str, Any]) -> str | None:
    """The whole evidence list as plain text, when the message shows only part of it; None when it shows all."""
    evidence = Diagnosis.model_validate(view.get("diagnosis") or {}).evidence
    if not _evidence_cut(evidence):
        return None
    lines = [f"Evidence of investigation {view.get('id', '')} ({len(evidence)} items)", ""]
    for number, item in enumerate(evidence, start=1):
        cited = f" [{item.call_id}]" if item.call_id else ""
        lines += [f"{number}. {item.tool}{cited}", item.excerpt, ""]
    return "\n".join(lines)


def failure_message(view: dict[str, Any]) -> dict[str, Any]:
    error = str(view.get("error") or "unknown error")
    text = f":x: The investigation failed: {escape(error)}"
    return {"text": clip(f"The investigation failed: {error}", 3000),
            "blocks": [*sections(text), context(f"investigation `{view.get('id', '')}`")]}


def footer(view: dict[str, Any], diagnosis: Diagnosis) -> str:
    """Steps, tool calls, tokens, cost, wall time, who answered and whether it was degraded."""
    usage = diagnosis.usage
    source = "LLM agent" if diagnosis.source == "agent" else "runbook engine"
    parts = [f"{usage.steps} steps", f"{usage.tool_calls} tool calls",
             f"{usage.input_tokens:,} in / {usage.output_tokens:,} out tokens", f"${usage.cost:.4f}",
             f"{usage.wall_s:.1f} s", source]
    if diagnosis.degraded:
        parts.append(":warning: degraded")
    parts.append(f"investigation `{view.get('id', '')}`")
    return " · ".join(parts)


def feedback_buttons(investigation_id: str) -> Block:
    """The investigation id rides in each button's value, so feedback needs no state in the bot."""
    return {"type": "actions", "block_id": "holmes_feedback", "elements": [
        {"type": "button", "action_id": FEEDBACK_CORRECT, "style": "primary", "value": investigation_id,
         "text": {"type": "plain_text", "text": "Correct"}},
        {"type": "button", "action_id": FEEDBACK_WRONG, "style": "danger", "value": investigation_id,
         "text": {"type": "plain_text", "text": "Wrong root cause"}},
    ]}


def _verdict(diagnosis: Diagnosis) -> str:
    degraded = "  :warning: _degraded: answered without the model_" if diagnosis.degraded else ""
    return (f"*Root cause:* `{escape(diagnosis.root_cause)}`\n*Confidence:* {diagnosis.confidence:.0%} "
            f"({_strength(diagnosis.confidence)}){degraded}")


def _strength(confidence: float) -> str:
    return "high" if confidence >= 0.75 else "medium" if confidence >= 0.45 else "low"


def _evidence(evidence: list[Evidence]) -> list[Block]:
    if not evidence:
        return []
    shown = evidence[:EVIDENCE_SHOWN]
    lines = [f"• `{escape(item.tool)}` {escape(clip(item.excerpt, EXCERPT_CHARS))}" for item in shown]
    title = f"*Evidence* ({len(shown)} of {len(evidence)})" if len(shown) < len(evidence) else "*Evidence*"
    blocks = sections("\n".join([title, *lines]))
    if _evidence_cut(evidence):
        blocks.append(context("The full evidence is attached as a file in this thread."))
    return blocks


def _evidence_cut(evidence: list[Evidence]) -> bool:
    return len(evidence) > EVIDENCE_SHOWN or any(len(item.excerpt) > EXCERPT_CHARS for item in evidence)


def _listed(title: str, items: list[str], numbered: bool = False) -> list[Block]:
    if not items:
        return []
    lines = [f"{number}. {item}" if numbered else f"• {item}" for number, item in enumerate(items, start=1)]
    return sections("\n".join([f"*{title}*", *lines]))


def _alternative(finding: Any) -> str:
    title = f" — {escape(finding.title)}" if finding.title else ""
    return f"`{escape(finding.root_cause)}` {finding.confidence:.0%}{title}"
