"""`holmes replay serve BUNDLE`: a recorded incident as a read-only Kubernetes API for kubectl and clients."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import typer

from holmes.errors import UserError

replay_app = typer.Typer(help="Serve a recorded incident bundle as a read-only Kubernetes API.", no_args_is_help=True)


@replay_app.command("serve")
def serve(
    bundle_dir: Path = typer.Argument(..., metavar="BUNDLE", help="Incident bundle directory (evals/incidents/<id>)."),
    port: int = typer.Option(0, "--port", "-p", help="Port to listen on (0: any free port)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
) -> None:
    """Serve BUNDLE until Ctrl-C; prints the URL and a kubeconfig to use with kubectl."""
    from holmes.bundle.loader import load_bundle
    from holmes.replay.kubeconfig import write_kubeconfig
    from holmes.replay.server import ReplayServer

    if not 0 <= port <= 65535:
        raise UserError(f"--port {port}: expected a TCP port from 0 to 65535 (0: any free port)")
    bundle = load_bundle(bundle_dir)
    server = ReplayServer(bundle, host, port)
    try:
        url = server.start()
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    subject = bundle.spec.trigger.subject
    kubeconfig = write_kubeconfig(url, bundle.spec.id, subject.namespace if subject else None)
    try:
        _announce(bundle.spec.id, len(bundle.store), len(bundle.logs), url, kubeconfig)
        threading.Event().wait()
    except KeyboardInterrupt:
        typer.echo("stopped", err=True)
    finally:
        server.stop()
        shutil.rmtree(kubeconfig.parent, ignore_errors=True)


def _announce(incident: str, objects: int, logs: int, url: str, kubeconfig: Path) -> None:
    typer.echo(f"Serving incident {incident} ({objects} objects, {logs} logs), read-only, at {url}")
    typer.echo(f"kubeconfig: {kubeconfig}")
    typer.echo(f"  export KUBECONFIG={kubeconfig} KUBECACHEDIR={kubeconfig.parent / 'cache'}")
    typer.echo("  kubectl get pods -A")
    typer.echo("Press Ctrl-C to stop.", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(replay_app, name="replay")
