"""Agent loop benchmarks: loop overhead per step, and what the first model request carries per recorded incident.

1. Overhead: ScriptedChatModel (a test double) calls one new tool per step until 20 results (~1,000 tokens each)
   are in the context, then answers. Per step we time the loop between the model's reply and the next request,
   minus tool execution (registry.run_many): parsing, repeat guard, fitting, redaction, wrapping, token counting,
   building messages, and langchain's invoke machinery around the model.
   Target: median <= 10 ms per step with 20 tool results in context.
2. First request: for each bundle in evals/incidents, the runbook engine runs against the replayed incident and
   the agent builds its first request. Printed: its tokens (goal <= 6,000, tool schemas included) and whether it
   already contains every evidence string of the incident's `expected` block.

Usage: .venv/bin/python bench/bench_agent.py [--steps 20] [--incidents DIR] [--only ID]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "agent"))

from langchain_core.messages import BaseMessage  # noqa: E402
from scripted_model import ScriptedChatModel, answer, native_calls  # noqa: E402

from holmes.agent.loop import run_agent  # noqa: E402
from holmes.agent.tokens import TokenCounter  # noqa: E402
from holmes.config import Settings  # noqa: E402
from holmes.domain import Diagnosis, Trigger  # noqa: E402
from holmes.toolsets.base import Tool, ToolContext, ToolOutput, ToolRegistry  # noqa: E402


class TimedScriptedModel(ScriptedChatModel):
    """The test double, recording when each request arrived and when its reply left."""

    stamps: list[tuple[float, float, float, float]] = Field(default_factory=list)  # wall and CPU, in and out

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = super()._generate(messages, stop, run_manager, **kwargs)
        self.stamps.append((wall, time.perf_counter(), cpu, time.process_time()))
        return result


class LogParams(BaseModel):
    namespace: str
    pod: str
    tail_lines: int = 200


def overhead(steps: int) -> tuple[list[float], list[float]]:
    """Milliseconds of loop work per step (model and tool time excluded): wall clock, and CPU time of the process.

    On a shared machine the wall clock includes waiting for a core; CPU time is the work itself."""
    tool_seconds: list[tuple[float, float]] = []

    def logs(ctx: ToolContext, params: LogParams) -> ToolOutput:
        lines = [f"2025-03-14T10:{i // 60:02d}:{i % 60:02d}Z INFO {params.pod} served request {i} in 12 ms "
                 f"(GPU-8f2c3b4a-1d2e-4f50-9a6b-7c8d9e0f1a2b, kv cache 71.5%)" for i in range(40)]
        return ToolOutput(text="\n".join(lines), data={"lines": lines})

    class TimedRegistry(ToolRegistry):
        """Tool execution (the toolset framework's thread per call included) is the tools' time, not the loop's."""

        def run_many(self, ctx: ToolContext, calls: list[Any], max_workers: int = 8) -> list[Any]:
            wall, cpu = time.perf_counter(), time.process_time()
            results = super().run_many(ctx, calls, max_workers)
            tool_seconds.append((time.perf_counter() - wall, time.process_time() - cpu))
            return results

    registry = TimedRegistry([Tool("kubernetes_logs", "Container logs.", LogParams, logs, "kubernetes")])
    script: list[Any] = [native_calls(("kubernetes_logs", {"namespace": "llm", "pod": f"vllm-{i}"}))
                         for i in range(steps)]
    model = TimedScriptedModel(script=[*script, answer("unknown")])
    settings = Settings(agent={"max_steps": steps + 2, "max_total_tokens": 10_000_000, "max_wall_s": 600},
                        llm={"provider": "openai", "model": "bench", "context_window": 200_000})
    report = _EmptyReport()
    run_agent(Trigger(question="why is vllm slow?"), report, registry, ToolContext(), settings, model)
    stamps = model.stamps
    wall = [(stamps[i + 1][0] - stamps[i][1] - tool[0]) * 1000 for i, tool in zip(range(steps), tool_seconds,
                                                                                    strict=False)]
    cpu = [(stamps[i + 1][2] - stamps[i][3] - tool[1]) * 1000 for i, tool in zip(range(steps), tool_seconds,
                                                                                   strict=False)]
    return wall, cpu


@dataclass
class _EmptyReport:
    """An engine report with nothing found, so the loop's own work is what the benchmark times."""

    diagnosis: Diagnosis = field(default_factory=Diagnosis)
    results: list[Any] = field(default_factory=list)
    matched: list[Any] = field(default_factory=list)
    findings: list[Any] = field(default_factory=list)


def first_requests(incidents: Path, only: str | None) -> list[tuple[str, int, list[str], float]]:
    """(incident id, first-request tokens, evidence strings missing from it, engine seconds) per bundle."""
    from holmes.bundle.loader import load_bundle
    from holmes.investigation import open_sources, tool_context
    from holmes.runbooks.engine import diagnose
    from holmes.runbooks.library import load_library
    from holmes.toolsets.catalog import build_registry

    rows = []
    settings = Settings()
    library = load_library(settings.runbook_dirs)
    for bundle_dir in sorted(p for p in incidents.iterdir() if (p / "incident.yaml").exists()):
        if only and bundle_dir.name != only:
            continue
        spec = load_bundle(bundle_dir).spec
        expected = yaml.safe_load((bundle_dir / "incident.yaml").read_text())["expected"]
        started = time.perf_counter()
        with open_sources(settings, bundle_dir) as sources:
            ctx = tool_context(settings, sources)
            registry = build_registry(settings, ctx)
            trigger = _trigger(spec)
            report = diagnose(trigger, registry, ctx, library)
            engine_s = time.perf_counter() - started
            model = ScriptedChatModel(script=[answer("unknown")])
            run_agent(trigger, report, registry, ctx, settings.model_copy(update={"llm": settings.llm.model_copy(
                update={"provider": "openai", "model": "bench"})}), model)
        request = model.requests[0]
        counter = TokenCounter()
        tokens = sum(counter.count_message(str(m.content)) for m in request) + counter.count_json(model.bound_tools)
        text = "\n".join(str(m.content) for m in request)
        missing = [e for e in expected.get("evidence", []) if e not in text]
        rows.append((bundle_dir.name, tokens, missing, engine_s))
    return rows


def _trigger(spec: Any) -> Trigger:
    trigger = spec.trigger
    if isinstance(trigger, Trigger):
        return trigger
    return Trigger.model_validate(json.loads(trigger.model_dump_json()) if hasattr(trigger, "model_dump_json")
                                  else trigger)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--incidents", type=Path, default=ROOT / "evals" / "incidents")
    parser.add_argument("--only", default=None)
    parser.add_argument("--skip-incidents", action="store_true")
    args = parser.parse_args()

    wall, cpu = overhead(args.steps)
    print(f"loop overhead per step (model and tool time excluded), {args.steps} steps, target <= 10 ms "
          f"with {args.steps} tool results in context:")
    for label, values in (("wall", wall), ("cpu ", cpu)):
        tail = statistics.median(values[-5:])
        print(f"  {label}: median {statistics.median(values):.2f} ms, max {max(values):.2f} ms; "
              f"with {args.steps - 5}-{args.steps} results in context: median {tail:.2f} ms "
              f"{'OK' if tail <= 10 else 'OVER'}")
    if args.skip_incidents:
        return
    rows = first_requests(args.incidents, args.only)
    print("\nfirst model request per incident (goal <= 6,000 tokens, every expected evidence string inside):")
    print(f"  {'incident':48} {'tokens':>7} {'evidence':>9}  missing")
    for name, tokens, missing, _ in rows:
        flag = "all" if not missing else f"{len(missing)} miss"
        print(f"  {name:48} {tokens:7d} {flag:>9}  {'; '.join(missing)[:80]}")
    if rows:
        tokens = [r[1] for r in rows]
        complete = sum(1 for r in rows if not r[2])
        print(f"  median {statistics.median(tokens):.0f} tokens, max {max(tokens)}; {sum(t <= 6000 for t in tokens)}"
              f"/{len(rows)} within 6,000; evidence complete in {complete}/{len(rows)}")


if __name__ == "__main__":
    main()
