"""`holmes config show`: the effective settings, secrets masked."""

from __future__ import annotations

import json
from pathlib import Path

import typer
import yaml

from holmes.config import load_settings, masked

config_app = typer.Typer(help="Inspect configuration.", no_args_is_help=True)


@config_app.command("show")
def show(config: Path | None = typer.Option(None, "--config", help="Config file (default: user config dir)."),
         output: str = typer.Option("yaml", "-o", "--output", help="yaml or json")) -> None:
    """Print the effective configuration (file + HOLMES_* environment) with secrets masked."""
    data = masked(load_settings(config))
    typer.echo(json.dumps(data, indent=2) if output == "json" else yaml.safe_dump(data, sort_keys=False))


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
