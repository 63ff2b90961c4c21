"""`holmes slack`: the Slack app over socket mode, with the service's store and workers (no HTTP API needed)."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import typer

from holmes.config import load_settings
from holmes.errors import UserError


def register(app: typer.Typer) -> None:
    app.command("slack")(slack_cmd)


def slack_cmd(
    config: Path | None = typer.Option(None, "--config", help="Config file (default: user config dir)."),
    bundle: Path | None = typer.Option(None, "--bundle", "-b",
                                       help="Investigate against a recorded incident (replay API); no cluster."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Where the embedded store lives (SQLite)."),
    workers: int | None = typer.Option(None, "--workers", help="Investigations run at once (default 2)."),
    no_llm: bool = typer.Option(False, "--no-llm", help="Use the runbook engine alone, even with a model configured."),
) -> None:
    """Answer questions and post alert investigations in Slack until SIGTERM or Ctrl-C (needs slack.app_token)."""
    from holmes.service.isolated import ProcessInvestigator
    from holmes.slack.socket_mode import link_socket_mode, run_socket_mode

    settings = load_settings(config)
    if data_dir is not None:
        settings.service.data_dir = str(data_dir)
    if workers is not None:
        if workers < 1:
            raise UserError(f"--workers {workers}: must be at least 1")
        settings.service.workers = workers
    if bundle is not None and not bundle.is_dir():
        raise UserError(f"{bundle}: bundle directory not found")
    link = link_socket_mode(settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stopping = threading.Event()
    _stop_on_signals(stopping)
    source = f"recorded incident {bundle}" if bundle else "configured cluster"
    processes = settings.service.workers
    with ProcessInvestigator(settings, bundle, processes=processes, use_llm=not no_llm) as investigator:
        run_socket_mode(settings, link, investigator, stopping, connected=lambda: print(
            f"holmes: connected to Slack in socket mode as {link.identity.user_id} ({link.identity.team}); "
            f"investigating the {source}", file=sys.stderr, flush=True))


def _stop_on_signals(stopping: threading.Event) -> None:
    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
