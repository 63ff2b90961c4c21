"""Turn exceptions into one clear line on stderr; `--debug` (or HOLMES_DEBUG=1) shows the traceback."""

from __future__ import annotations

import os
import sys
import traceback

import click
import typer

from holmes.errors import UserError


def _debug() -> bool:
    return "--debug" in sys.argv or os.environ.get("HOLMES_DEBUG") == "1"


def run_guarded(app: typer.Typer) -> int:
    try:
        code = app(standalone_mode=False)  # click returns (not raises) a typer.Exit's code in this mode
        if isinstance(code, int) and code:
            return code
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except click.exceptions.Abort:
        print("holmes: aborted", file=sys.stderr)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt:
        print("holmes: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if _debug():
            traceback.print_exc()
        message = str(exc) if isinstance(exc, UserError) else _one_line(exc)
        print(f"holmes: error: {message}", file=sys.stderr)
        return 2 if isinstance(exc, UserError) else 1
    return 0


def _one_line(exc: Exception) -> str:
    from holmes.sources.kube import KubeError

    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, KubeError | OSError):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text} (run with --debug for the traceback)"
