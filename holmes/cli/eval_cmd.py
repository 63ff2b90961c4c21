"""`holmes eval run | compare | perturb`: measure diagnosis quality on recorded incidents."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from holmes.errors import UserError

eval_app = typer.Typer(help="Replay recorded incidents and score the diagnoses.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")


@eval_app.command("run")
def run_cmd(
    paths: list[Path] = typer.Argument(None, help="Bundles or directories of bundles (default: evals/incidents)."),
    no_llm: bool = typer.Option(False, "--no-llm", help="Runbook engine only."),
    repeat: int = typer.Option(1, "--repeat", min=1, max=50, help="Runs per incident."),
    tags: str = typer.Option("", "--tags", help="Only incidents with one of these comma-separated tags."),
    jobs: int = typer.Option(2, "--jobs", min=1, max=16, help="Incidents run at once."),
    report: Path | None = typer.Option(None, "--report", help="Write the report: JSON, or markdown for *.md."),
    baseline: Path | None = typer.Option(None, "--baseline", help="Fail when the pass rate drops below this "
                                                                   "report's (a JSON with pass_rate)."),
    config: Path | None = typer.Option(None, "--config", help="Config file."),
    record_llm: bool = typer.Option(False, "--record-llm", help="Record model HTTP traffic to cassettes."),
    replay_llm: bool = typer.Option(False, "--replay-llm", help="Replay model traffic from cassettes (offline)."),
    cassettes: Path = typer.Option(Path("evals/cassettes"), "--cassettes", help="Cassette directory."),
) -> None:
    """Run the investigation on every bundle and score it; exit 1 when any fails (or below --baseline)."""
    from holmes.config import load_settings
    from holmes.evals.report import build_report, to_markdown
    from holmes.evals.runner import find_bundles, run_all, with_tags
    from holmes.paths import builtin_incidents

    settings = load_settings(config)
    floor = _baseline_rate(baseline) if baseline else None  # read first: a typo must not cost a whole run
    if report:
        _check_writable(report)
    bundles = find_bundles(paths or [builtin_incidents()])
    if tags:
        bundles = with_tags(bundles, {t.strip() for t in tags.split(",") if t.strip()})
    if not bundles:
        raise UserError("no incident bundles found" + (f" with tags {tags}" if tags else ""))
    use_llm = not no_llm and settings.llm.provider != "none"
    model = f"{settings.llm.provider}:{settings.llm.model}" if use_llm else "none (runbook engine)"
    console = Console(stderr=True)
    started = time.perf_counter()
    policy = _cassette_policy(record_llm, replay_llm, cassettes, settings)
    if policy is not None:
        jobs = 1  # vcrpy patches HTTP globally: one incident at a time
    runs = run_all(bundles, settings, use_llm=use_llm, repeat=repeat, jobs=jobs, cassettes=policy,
                   on_result=lambda r: console.print(f"[dim]{r.verdict:5} {escape(r.id)} ({r.wall_s:.2f}s)[/]"))
    result = build_report(runs, model=model, wall_s=time.perf_counter() - started, repeat=repeat)
    if report:  # written before anything is rendered: the run's results are never lost to a display problem
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(to_markdown(result) if report.suffix == ".md" else json.dumps(result, indent=2),
                          encoding="utf-8")
    _print_table(result)
    raise typer.Exit(_exit_code(result, baseline, floor))


def _baseline_rate(baseline: Path) -> float:
    try:
        data = json.loads(baseline.read_text(encoding="utf-8"))
        return float(data["pass_rate"])
    except OSError as exc:
        raise UserError(f"{baseline}: cannot read the baseline report: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError(f"{baseline}: not a report with a numeric pass_rate ({exc})") from None


def _check_writable(report: Path) -> None:
    """Fail before the run, not after it, when the report cannot be written."""
    if report.is_dir():
        raise UserError(f"{report}: is a directory; --report takes a file (*.json or *.md)")
    try:
        report.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{report}: cannot create its directory: {exc.strerror}") from None


def _exit_code(result: dict[str, Any], baseline: Path | None, floor: float | None) -> int:
    if baseline is None or floor is None:
        return 0 if result["passed"] == result["runs"] else 1
    if result["pass_rate"] + 1e-9 < floor:
        typer.echo(f"pass rate {result['pass_rate']:.1%} is below the baseline {floor:.1%} ({baseline})", err=True)
        return 1
    typer.echo(f"pass rate {result['pass_rate']:.1%} meets the baseline {floor:.1%}", err=True)
    return 0


def _print_table(result: dict[str, Any]) -> None:
    table = Table(title="holmes eval", show_lines=False)
    for column in ("incident", "verdict", "given", "expected", "evidence", "steps", "tools", "tokens", "cost",
                   "wall s"):
        table.add_column(column)
    for r in result["results"]:
        style = {"pass": "green", "fail": "red"}.get(r["verdict"], "yellow")
        table.add_row(Text(r["id"]), Text(r["verdict"], style=style), Text(r["root_cause"] or r["error"][:60]),
                      Text(r["expected_root_cause"]), f"{r['evidence_recall']:.0%}", str(r["steps"]),
                      str(r["tool_calls"]), str(r["input_tokens"] + r["output_tokens"]), f"{r['cost']:.4f}",
                      f"{r['wall_s']:.2f}")
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(table)
    for tag, rate in result["by_tag"].items():
        console.print(f"  {escape(tag):28} {rate['pass_rate']:6.1%}  ({rate['passed']}/{rate['runs']}, "
                      f"95% CI {rate['ci95'][0]:.0%}–{rate['ci95'][1]:.0%})")
    low, high = result["ci95"]
    console.print(f"[bold]pass rate {result['pass_rate']:.1%}[/] ({result['passed']}/{result['runs']}, 95% CI "
                  f"{low:.0%}–{high:.0%}) · errors {result['errors']} · model {escape(result['model'])} · wall "
                  f"{result['wall_s']:.2f}s · median per incident {result['median_incident_s']:.3f}s")


def _cassette_policy(record: bool, replay: bool, directory: Path, settings: Any) -> Any:
    from holmes.evals.cassettes import CassettePolicy

    if record and replay:
        raise UserError("--record-llm and --replay-llm exclude each other")
    if not (record or replay):
        return None
    if settings.llm.provider == "none":
        raise UserError("--record-llm/--replay-llm need a model (llm.provider); none is configured")
    return CassettePolicy(directory, settings.llm.model, "record" if record else "replay",
                          settings.llm.base_url or "")


@eval_app.command("compare")
def compare_cmd(old: Path = typer.Argument(..., help="Earlier JSON report."),
                new: Path = typer.Argument(..., help="Later JSON report.")) -> None:
    """List regressions and fixes between two JSON reports; exit 1 when anything regressed."""
    from holmes.evals.report import compare

    diff = compare(_read_report(old), _read_report(new))
    for key in ("regressions", "fixes", "added", "removed"):
        typer.echo(f"{key}: {', '.join(diff[key]) or '-'}")
    raise typer.Exit(1 if diff["regressions"] else 0)


def _read_report(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"{path}: cannot read report: {exc.strerror}") from None
    except ValueError as exc:
        raise UserError(f"{path}: not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise UserError(f"{path}: not a holmes eval JSON report (no 'results' list)")
    for index, result in enumerate(data["results"]):
        if not (isinstance(result, dict) and isinstance(result.get("id"), str)
                and isinstance(result.get("verdict"), str)):
            raise UserError(f"{path}: results[{index}]: expected an object with string 'id' and 'verdict'")
    return data


@eval_app.command("perturb")
def perturb_cmd(bundle: Path = typer.Argument(..., help="A bundle directory."),
                out: Path = typer.Option(Path("evals/variants"), "--out", help="Where variants are written."),
                variants: str = typer.Option("renamed,noise,shuffled,shifted", "--variants"),
                seed: int = typer.Option(7, "--seed")) -> None:
    """Write variants of a bundle: objects renamed, healthy noise added, order shuffled, clock shifted."""
    from holmes.bundle.loader import load_bundle
    from holmes.evals.perturb import perturb

    load_bundle(bundle)  # a broken bundle is named by file and line here, not half-copied
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: is a file; --out takes a directory")
    if out.resolve().is_relative_to(bundle.resolve()):
        raise UserError(f"{out}: is inside the bundle {bundle}; write variants somewhere else")
    chosen = tuple(v.strip() for v in variants.split(",") if v.strip())
    for path in perturb(bundle, out, chosen, seed):
        typer.echo(str(path))
