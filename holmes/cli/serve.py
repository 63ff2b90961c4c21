"""`holmes serve`: the HTTP service (Alertmanager receiver, investigations API) in the foreground."""

from __future__ import annotations

import ipaddress
import logging
import signal
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from holmes.config import Settings, load_settings
from holmes.errors import UserError

if TYPE_CHECKING:
    from fastapi import FastAPI

    from holmes.service.runtime import Tuning

SHUTDOWN_GRACE_S = 10


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_cmd)


def serve_cmd(
    host: str | None = typer.Option(None, "--host", help="Address to listen on (default 127.0.0.1)."),
    port: int | None = typer.Option(None, "--port", help="Port to listen on (default 8080)."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Where the embedded store lives (SQLite)."),
    config: Path | None = typer.Option(None, "--config", help="Config file (default: user config dir)."),
    bundle: Path | None = typer.Option(None, "--bundle", "-b",
                                       help="Investigate against a recorded incident (replay API); no cluster."),
    workers: int | None = typer.Option(None, "--workers", help="Investigations run at once (default 2)."),
    no_llm: bool = typer.Option(False, "--no-llm", help="Use the runbook engine alone, even with a model configured."),
    access_log: bool = typer.Option(False, "--access-log", help="Log every HTTP request."),
    sqlite_synchronous: str = typer.Option(
        "FULL", "--sqlite-synchronous", help="FULL: every acknowledged alert is on disk (fsync per group commit). "
        "NORMAL: it survives a crash of holmes but not of the machine; faster where fsync is slow."),
) -> None:
    """Serve the Alertmanager webhook and the investigations API until SIGTERM or Ctrl-C."""
    settings = _settings(config, host, port, data_dir, workers)
    if sqlite_synchronous.upper() not in ("FULL", "NORMAL"):
        raise UserError(f"--sqlite-synchronous {sqlite_synchronous}: choose FULL or NORMAL")
    if bundle is not None and not bundle.is_dir():
        raise UserError(f"{bundle}: bundle directory not found")
    _check_port_free(settings.service.host, settings.service.port)
    _configure_logging()
    _warn_if_exposed(settings)
    _check_slack(settings)
    _check_store(settings)
    from holmes.service.runtime import Tuning

    _serve(settings, bundle, use_llm=not no_llm, access_log=access_log,
           tuning=Tuning(sqlite_synchronous=sqlite_synchronous.upper()))


def _settings(config: Path | None, host: str | None, port: int | None, data_dir: Path | None,
              workers: int | None) -> Settings:
    settings = load_settings(config)
    service = settings.service
    if host is not None:
        service.host = host
    if port is not None:
        if not 0 < port < 65536:
            raise UserError(f"--port {port}: must be between 1 and 65535")
        service.port = port
    if data_dir is not None:
        service.data_dir = str(data_dir)
    if workers is not None:
        if workers < 1:
            raise UserError(f"--workers {workers}: must be at least 1")
        service.workers = workers
    return settings


def _check_store(settings: Settings) -> None:
    """Open and close the store once before uvicorn starts, so a bad data dir or URL is one line, not a traceback."""
    from holmes.service.store import Store

    Store.open(settings.service.database_url, settings.service.data_dir).close()


def _serve(settings: Settings, bundle: Path | None, use_llm: bool, access_log: bool, tuning: Tuning) -> None:
    import uvicorn

    from holmes.service.app import create_app
    from holmes.service.isolated import ProcessInvestigator

    service = settings.service
    with ProcessInvestigator(settings, bundle, processes=service.workers, use_llm=use_llm) as investigator:
        app = create_app(settings, investigator, tuning=tuning)
        _mount_slack(app, settings)
        server = uvicorn.Server(uvicorn.Config(app, host=service.host, port=service.port, access_log=access_log,
                                               log_level="info", timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
                                               proxy_headers=False, lifespan="on"))
        where = 'database_url' if service.database_url else str(Path(service.data_dir).resolve())
        source = f"recorded incident {bundle}" if bundle else "configured cluster"
        print(f"holmes: serving http://{_url_host(service.host)}:{service.port} (store: {where}; investigating the "
              f"{source})", file=sys.stderr, flush=True)
        # uvicorn handles SIGTERM and SIGINT (stops accepting, drains, runs the app's shutdown), then re-raises
        # the signal once it restored the previous handlers: ours lets the child processes be stopped too
        previous = signal.signal(signal.SIGTERM, _terminated)
        try:
            server.run()
        finally:
            signal.signal(signal.SIGTERM, previous)
    if not server.started:
        raise UserError(f"could not start the server on {service.host}:{service.port} (see the log above)")


def _check_slack(settings: Settings) -> None:
    """Wrong Slack settings fail before the investigation processes start."""
    from holmes.slack.connect import check_settings, wanted

    if wanted(settings.slack):
        check_settings(settings.slack, socket_mode=False)


def _mount_slack(app: FastAPI, settings: Settings) -> None:
    """Slack when configured: its events endpoint (slack.signing_secret) and/or socket mode (slack.app_token)."""
    from holmes.slack.http import EVENTS_PATH, mount_slack

    if mount_slack(app, settings) is None:
        return
    modes = []
    if settings.slack.signing_secret:
        modes.append(f"events at {EVENTS_PATH}")
    if settings.slack.app_token:
        modes.append("socket mode")
    print(f"holmes: Slack app on ({', '.join(modes)})", file=sys.stderr, flush=True)


def _terminated(_signum: int, _frame: object) -> None:
    """SIGTERM after uvicorn's graceful shutdown: return normally, so the investigation processes stop and exit 0."""


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _warn_if_exposed(settings: Settings) -> None:
    from holmes.service.auth import Authenticator

    if _loopback(settings.service.host) or Authenticator.from_settings(settings.service).configured:
        return
    print(f"holmes: warning: listening on {settings.service.host} without authentication; anyone who can reach it "
          "can read investigations and start them. Set service.bearer_token or service.basic_username/"
          "basic_password.", file=sys.stderr)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _check_port_free(host: str, port: int) -> None:
    """Fail in one line when the address is taken or unknown, rather than with the server's log noise."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UserError(f"--host {host}: cannot resolve ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise UserError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
