"""Turn exceptions into one clear line on stderr; `--debug` (or HOLMES_DEBUG=1) shows the traceback."""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

import click
import typer

from holmes.errors import UserError


def _usage_errors() -> tuple[type[Exception], ...]:
    """typer >= 0.20 ships its own copy of click: usage errors come from it or from click, by version."""
    try:
        from typer._click.exceptions import ClickException
    except ImportError:  # an older typer uses click itself
        return (click.ClickException,)
    return (click.ClickException, ClickException)


_USAGE_ERRORS = _usage_errors()
_EXITS: tuple[type[BaseException], ...] = (click.exceptions.Exit, typer.Exit)
_ABORTS: tuple[type[BaseException], ...] = (click.exceptions.Abort, typer.Abort)


def _debug() -> bool:
    return "--debug" in sys.argv or os.environ.get("HOLMES_DEBUG") == "1"


def run_guarded(app: typer.Typer, args: list[str] | None = None) -> int:
    """Run the CLI; usage errors print click's usage hint (exit 2), other failures one `holmes: error:` line."""
    try:
        # a typer.Exit's code is returned (not raised) in this mode
        code = app(args=args, prog_name="holmes", standalone_mode=False)
        if isinstance(code, int) and code:
            return code
    except _EXITS as exc:
        return int(getattr(exc, "exit_code", 0) or 0)
    except _ABORTS:
        print("holmes: aborted", file=sys.stderr)
        return 130
    except _USAGE_ERRORS as exc:
        _show_usage_error(exc)
        return int(getattr(exc, "exit_code", 2))
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


def _show_usage_error(exc: Any) -> None:
    """click's own rendering: the help for a bare group, else the usage line, a hint and `Error: ...`."""
    try:
        exc.show(file=sys.stderr)
    except Exception:  # a broken renderer must not turn a usage error into a traceback
        print(f"holmes: error: {exc}", file=sys.stderr)


def _one_line(exc: Exception) -> str:
    from holmes.sources.kube import KubeError

    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, KubeError | OSError):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text} (run with --debug for the traceback)"
