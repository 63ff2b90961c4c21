"""`holmes runbooks list | show | validate | schema` and `holmes taxonomy`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
import yaml

from holmes.errors import UserError

runbooks_app = typer.Typer(help="The runbook library: list, show, validate, publish the schema.", no_args_is_help=True)

RUNBOOKS_OPTION = typer.Option(None, "--runbooks", help="Extra runbook directory (repeatable).")
CONFIG_OPTION = typer.Option(None, "--config", help="Config file (default: $HOLMES_CONFIG or the user's).")
OUTPUT_OPTION = typer.Option("table", "--output", "-o", help="table or json.")


def _user_dirs(extra: list[Path] | None, config: Path | None) -> list[Path]:
    """Runbook directories from the settings, then --runbooks."""
    from holmes.config import load_settings

    settings = load_settings(config)
    return [Path(d).expanduser() for d in settings.runbook_dirs] + list(extra or [])


def _tool_params() -> dict[str, set[str]] | None:
    """Every built-in tool (configured or not) with its parameter names, so validation catches typos in steps."""
    from holmes.toolsets.catalog import BUILTIN_MODULES, load_implementations

    try:
        tools = load_implementations(BUILTIN_MODULES)
    except UserError:
        return None
    params: dict[str, set[str]] = {}
    for name, tool in tools.items():
        fields = tool.params.model_fields
        params[name] = set(fields) | {f.alias for f in fields.values() if f.alias}
    return params or None


def _builtin_ids() -> dict[str, str]:
    """Built-in runbook ids by file: a user runbook reusing one is refused when investigations load both."""
    from holmes.runbooks.library import check_files, runbook_files
    from holmes.runbooks.paths import BUILTIN_DIR

    library, _ = check_files(runbook_files([BUILTIN_DIR]))
    return dict(library.origins)


def _check_output(output: str, allowed: tuple[str, ...]) -> None:
    if output not in allowed:
        raise UserError(f"--output: unknown format {output!r}; use {' or '.join(allowed)}")


@runbooks_app.command("list")
def list_runbooks(runbooks: list[Path] | None = RUNBOOKS_OPTION, config: Path | None = CONFIG_OPTION,
                  output: str = OUTPUT_OPTION) -> None:
    """Every runbook: id, area, the root causes its checks name, and its title."""
    from holmes.runbooks.library import load_library
    from holmes.toolsets.render import table

    _check_output(output, ("table", "json"))
    library = load_library(_user_dirs(runbooks, config))
    runbooks_sorted = sorted(library, key=lambda rb: (rb.area, rb.id))
    if output == "json":
        rows = [{"id": rb.id, "area": rb.area, "title": rb.title, "file": library.origins[rb.id],
                 "root_causes": sorted({c.root_cause for c in rb.checks}), "steps": len(rb.steps),
                 "checks": len(rb.checks)} for rb in runbooks_sorted]
        typer.echo(json.dumps(rows, indent=2))
        return
    typer.echo(table(["id", "area", "checks", "root causes", "title"],
                     [[rb.id, rb.area, len(rb.checks), ", ".join(sorted({c.root_cause for c in rb.checks})), rb.title]
                      for rb in runbooks_sorted]))


@runbooks_app.command("show")
def show_runbook(runbook_id: str = typer.Argument(..., metavar="ID"), runbooks: list[Path] | None = RUNBOOKS_OPTION,
                 config: Path | None = CONFIG_OPTION,
                 output: str = typer.Option("yaml", "--output", "-o", help="yaml or json.")) -> None:
    """One runbook as validated (defaults filled in)."""
    from holmes.runbooks.library import load_library

    _check_output(output, ("yaml", "json"))
    library = load_library(_user_dirs(runbooks, config))
    runbook = library.get(runbook_id)
    if runbook is None:
        raise UserError(f"unknown runbook {runbook_id!r}; see `holmes runbooks list`")
    data = {"file": library.origins[runbook_id], **runbook.model_dump(mode="json", by_alias=True, exclude_none=True)}
    if output == "json":
        typer.echo(json.dumps(data, indent=2))
    else:
        typer.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110).rstrip())


@runbooks_app.command("validate")
def validate_runbooks(paths: list[Path] | None = typer.Argument(None, help="Files or directories (default: the "
                                                                  "built-in library and configured directories)."),
                      config: Path | None = CONFIG_OPTION) -> None:
    """Check runbook files; each problem is printed as `file:line: field: problem` and the exit code is 1."""
    from holmes.runbooks.library import check_files, runbook_files
    from holmes.runbooks.paths import BUILTIN_DIR

    targets = list(paths) if paths else [BUILTIN_DIR, *_user_dirs(None, config)]
    files = runbook_files(targets)
    tool_params = _tool_params()
    library, problems = check_files(files, known_tools=set(tool_params) if tool_params else None,
                                    tool_params=tool_params, taken=_builtin_ids())
    for problem in problems:
        typer.echo(str(problem), err=True)
    if problems:
        typer.echo(f"{len(problems)} problem(s) in {len({p.file for p in problems})} of {len(files)} file(s)", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: {len(library)} runbook(s) in {len(files)} file(s)")


@runbooks_app.command("schema")
def print_schema() -> None:
    """The runbook JSON Schema (for editors: `# yaml-language-server: $schema=...`)."""
    from holmes.runbooks.schema import runbook_json_schema

    sys.stdout.write(json.dumps(runbook_json_schema(), indent=2) + "\n")


def taxonomy_command(output: str = OUTPUT_OPTION) -> None:
    """The root-cause taxonomy: every id a diagnosis may name, with its explanation and default remediation."""
    from holmes.runbooks.taxonomy import load_taxonomy
    from holmes.toolsets.render import table

    _check_output(output, ("table", "json"))
    taxonomy = load_taxonomy()
    if output == "json":
        typer.echo(json.dumps([cause.model_dump() for cause in taxonomy], indent=2))
        return
    typer.echo(table(["id", "area", "title"], [[c.id, c.area, c.title] for c in taxonomy]))


def register(app: typer.Typer) -> None:
    app.add_typer(runbooks_app, name="runbooks")
    app.command("taxonomy")(taxonomy_command)
