"""The `holmes` command: one typer app; each command group lives in its own module and registers itself."""

from __future__ import annotations

import os
import sys

import typer

from holmes.cli import config_cmd, eval_cmd, incident, investigate, replay, runbooks, serve, slack, toolsets

app = typer.Typer(name="holmes", help="Troubleshoot AI inference on Kubernetes: GPUs, DRA, vLLM, KServe.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors.")) -> None:
    if debug:
        os.environ["HOLMES_DEBUG"] = "1"


for module in (investigate, replay, toolsets, runbooks, eval_cmd, incident, serve, slack, config_cmd):
    module.register(app)


def main() -> None:
    """Entry point: turn every expected failure into one clear line and a non-zero exit."""
    from holmes.cli.errors import run_guarded

    sys.exit(run_guarded(app))
