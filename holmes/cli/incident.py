"""`holmes incident capture`: write a recorded-incident bundle from a live cluster (or a replayed one)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from holmes.domain import Alert, Subject, Trigger
from holmes.errors import UserError

incident_app = typer.Typer(help="Recorded incidents.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(incident_app, name="incident")


@incident_app.command("capture")
def capture_cmd(
    kind: str | None = typer.Argument(None, help="pod, namespace, deployment, ..."),
    target: str | None = typer.Argument(None, help="NAMESPACE/NAME (or NAME for a namespace)."),
    out: Path = typer.Option(..., "--out", "-o", help="Bundle directory to write (must be new or empty)."),
    alert: Path | None = typer.Option(None, "--alert", help="Alertmanager alert JSON naming the scope."),
    bundle: Path | None = typer.Option(None, "--bundle", help="Capture from a recorded incident's replay instead."),
    config: Path | None = typer.Option(None, "--config", help="Config file."),
) -> None:
    """Capture the objects, owners, events, nodes, DRA objects, quotas, logs and metrics of a scope."""
    from holmes.config import load_settings
    from holmes.evals.capture import capture
    from holmes.investigation import open_sources
    from holmes.sources.kube import KubeError

    trigger = _trigger(kind, target, alert)
    settings = load_settings(config)
    with open_sources(settings, bundle) as sources:
        if sources.kube is None:
            raise UserError("no Kubernetes API to capture from: " + "; ".join(sources.gaps))
        try:
            scope = Subject.parse(f"{kind} {target}") if alert is not None and kind and target else None
            path = capture(sources.kube, out, trigger, prometheus=sources.prometheus, now=sources.now, scope=scope)
        except KubeError as exc:  # an unknown kind, an API that refuses: the user's scope, said in one line
            raise UserError(f"cannot capture {trigger.describe()}: {exc}") from None
    typer.echo(f"wrote {path} (fill in the expected block of {path / 'incident.yaml'})")


def _trigger(kind: str | None, target: str | None, alert: Path | None) -> Trigger:
    if alert is not None:
        try:
            return Trigger(alert=Alert.model_validate(json.loads(alert.read_text(encoding="utf-8"))))
        except (OSError, ValueError) as exc:
            raise UserError(f"{alert}: not an Alertmanager alert: {str(exc).splitlines()[0]}") from None
    if kind == "namespace" and target:
        return Trigger(subject=Subject(kind="namespace", name=target))
    if kind and target:
        try:
            return Trigger(subject=Subject.parse(f"{kind} {target}"))
        except ValueError as exc:
            raise UserError(str(exc)) from None
    raise UserError("name the scope: KIND NAMESPACE/NAME, 'namespace NAME', or --alert FILE")
