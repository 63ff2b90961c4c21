"""`holmes toolsets list`: which toolsets an investigation would get here, and why the others are off."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import typer

from holmes.config import Settings, load_settings
from holmes.toolsets.base import ToolContext
from holmes.toolsets.catalog import KUBE_MISSING, PROMETHEUS_MISSING, ToolsetStatus, toolset_statuses

toolsets_app = typer.Typer(help="Inspect the toolsets holmes can use.", no_args_is_help=True)


@contextlib.contextmanager
def _live_context(settings: Settings) -> Iterator[ToolContext]:
    """Sources from the settings: kubeconfig (or in-cluster) and the configured Prometheus."""
    from holmes.sources.kube import KubeError, KubeReader
    from holmes.sources.prometheus import PrometheusReader

    ctx = ToolContext(token_budget=settings.tool_token_budget)
    try:
        k = settings.kubernetes
        ctx.kube = KubeReader.from_kubeconfig(k.context, k.kubeconfig, k.request_timeout_s)
    except KubeError as exc:
        ctx.extras[KUBE_MISSING] = f"no Kubernetes API configured ({exc})"
    ctx.prometheus = PrometheusReader.from_settings(settings.prometheus)
    yield ctx


@contextlib.contextmanager
def _bundle_context(settings: Settings, bundle_dir: Path) -> Iterator[ToolContext]:
    """Sources replaying a recorded incident: its objects over the replay API, its metrics in a real Prometheus."""
    from holmes.bundle.loader import load_bundle
    from holmes.replay.metrics import serve_metrics
    from holmes.replay.server import serve_bundle
    from holmes.sources.kube import KubeReader
    from holmes.sources.prometheus import PrometheusReader

    bundle = load_bundle(bundle_dir)
    with serve_bundle(bundle) as url, serve_metrics(bundle) as metrics:
        ctx = ToolContext(kube=KubeReader.for_url(url), now=bundle.spec.captured_at,
                          token_budget=settings.tool_token_budget)
        if metrics.url:
            ctx.prometheus = PrometheusReader(metrics.url)
        else:
            ctx.extras[PROMETHEUS_MISSING] = metrics.reason or "no metrics in this bundle"
        yield ctx


def _render(statuses: list[ToolsetStatus]) -> str:
    from holmes.toolsets.render import table

    rows = [[s.name, s.status, len(s.tools), s.requires, s.reason] for s in statuses]
    return table(["toolset", "status", "tools", "requires", "why not ready"], rows)


@toolsets_app.command("list")
def list_toolsets(
    bundle: Path | None = typer.Option(None, "--bundle", help="Check against a recorded incident bundle instead "
                                       "of the configured cluster."),
    output: str = typer.Option("table", "--output", "-o", help="table or json."),
    config: Path | None = typer.Option(None, "--config", help="Config file (default: $HOLMES_CONFIG or the user's)."),
) -> None:
    """Each toolset with its status (ready, disabled, off), why it is not ready, and its tool count."""
    from holmes.errors import UserError

    if output not in ("table", "json"):
        raise UserError(f"--output: unknown format {output!r}; use table or json")
    settings = load_settings(config)
    context = _bundle_context(settings, bundle) if bundle else _live_context(settings)
    with context as ctx:
        statuses = toolset_statuses(settings, ctx)
    if output == "json":
        typer.echo(json.dumps([asdict(s) for s in statuses], indent=2))
    else:
        typer.echo(_render(statuses))


@toolsets_app.command("schema")
def schema(overlay: bool = typer.Option(False, "--overlay", help="The schema of toolset_dirs files instead.")) -> None:
    """The JSON schema of toolsets/*.yaml files (or of the files in toolset_dirs)."""
    from holmes.toolsets.spec import ToolsetOverlay, ToolsetSpec

    model = ToolsetOverlay if overlay else ToolsetSpec
    typer.echo(json.dumps(model.model_json_schema(), indent=2))


def register(app: typer.Typer) -> None:
    app.add_typer(toolsets_app, name="toolsets")
