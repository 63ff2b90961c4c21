"""`holmes investigate` and `holmes ask`: run an investigation from the terminal against a cluster or a bundle."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from holmes.cli.render import FORMATS, print_text, to_json, to_markdown
from holmes.config import Settings, load_settings
from holmes.domain import Diagnosis, Subject, Trigger
from holmes.errors import UserError
from holmes.questions import subject_in_question

BUNDLE_HELP = "Investigate a recorded incident (a bundle directory) served by the replay API; no cluster needed."


# the options `investigate` and `ask` share
BundleOption = Annotated[Path | None, typer.Option("--bundle", "-b", help=BUNDLE_HELP)]
OutputOption = Annotated[str, typer.Option("-o", "--output", help="text, markdown or json")]
NoLlmOption = Annotated[bool, typer.Option("--no-llm", help="Use the runbook engine alone, even with a model "
                                                             "configured.")]
ConfigOption = Annotated[Path | None, typer.Option("--config", help="Config file (default: user config dir).")]
RunbooksOption = Annotated[list[Path], typer.Option("--runbooks", help="Extra runbook directory or file (repeatable).")]


def register(app: typer.Typer) -> None:
    app.command("investigate")(investigate_cmd)
    app.command("ask")(ask_cmd)


def investigate_cmd(
    kind: str | None = typer.Argument(None, help="Kind of the subject, e.g. pod, node, deployment."),
    target: str | None = typer.Argument(None, help="NAMESPACE/NAME (or NAME for cluster-scoped kinds)."),
    bundle: BundleOption = None,
    output: OutputOption = "text",
    no_llm: NoLlmOption = False,
    config: ConfigOption = None,
    runbooks: RunbooksOption = [],  # noqa: B006 (typer copies the default)
) -> None:
    """Investigate a subject (`holmes investigate pod llm/vllm-0`) or a bundle's own trigger (`--bundle DIR`)."""
    if kind and not target:
        raise UserError("name the subject as KIND NAMESPACE/NAME, e.g. 'holmes investigate pod llm/vllm-0'")
    subject = _subject(kind, target) if kind and target else None
    _run(subject=subject, question=None, bundle=bundle, output=output, no_llm=no_llm, config=config,
         runbooks=runbooks)


def ask_cmd(
    question: str = typer.Argument(..., help="A question in plain words, e.g. 'why is pod llm/vllm-0 pending?'"),
    bundle: BundleOption = None,
    output: OutputOption = "text",
    no_llm: NoLlmOption = False,
    config: ConfigOption = None,
    runbooks: RunbooksOption = [],  # noqa: B006 (typer copies the default)
) -> None:
    """Ask a question; the agent answers when a model is configured, the runbook engine otherwise."""
    if not question.strip():
        raise UserError("the question is empty; ask in plain words, e.g. 'why is pod llm/vllm-0 pending?'")
    _run(subject=subject_in_question(question), question=question, bundle=bundle, output=output, no_llm=no_llm,
         config=config, runbooks=runbooks)


def _subject(kind: str, target: str) -> Subject:
    """The subject named on the command line, or one line saying how to name it."""
    try:
        return Subject.parse(f"{kind} {target}")
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _run(*, subject: Subject | None, question: str | None, bundle: Path | None, output: str, no_llm: bool,
         config: Path | None, runbooks: list[Path]) -> None:
    from holmes.investigation import check_subject, investigate, open_sources

    if output not in FORMATS:
        raise UserError(f"unknown output format {output!r}; choose one of: {', '.join(FORMATS)}")
    settings = _settings(config, runbooks)
    if bundle is not None and not bundle.is_dir():
        raise UserError(f"{bundle}: bundle directory not found")
    err = Console(stderr=True)
    with open_sources(settings, bundle) as sources:
        trigger = _trigger(subject, question, sources)
        check_subject(sources, trigger)
        with err.status(f"investigating {escape(trigger.describe())}…") as status:
            def progress(line: str) -> None:  # lines carry questions and model-chosen arguments: never markup
                short = line if len(line) <= err.width - 4 else line[: err.width - 5] + "…"
                status.update(f"[dim]{escape(short)}[/]")
                if err.is_terminal:
                    err.print(f"[dim]· {escape(short)}[/]", highlight=False)

            diagnosis = investigate(trigger, settings, sources, use_llm=not no_llm, progress=progress)
    _print(diagnosis, output)


def _settings(config: Path | None, runbooks: list[Path]) -> Settings:
    settings = load_settings(config)
    for directory in runbooks:
        if not directory.exists():
            raise UserError(f"{directory}: runbook file or directory not found")
    settings.runbook_dirs = [*settings.runbook_dirs, *(str(d) for d in runbooks)]
    return settings


def _trigger(subject: Subject | None, question: str | None, sources: object) -> Trigger:
    bundle = getattr(sources, "bundle", None)
    if subject is None and question is None:
        if bundle is None:
            raise UserError("nothing to investigate: name a subject (KIND NAMESPACE/NAME) or pass --bundle DIR")
        trigger: Trigger = bundle.spec.trigger
        return trigger
    return Trigger(question=question, subject=subject)


def _print(diagnosis: Diagnosis, output: str) -> None:
    if output == "json":
        typer.echo(to_json(diagnosis))
    elif output == "markdown":
        typer.echo(to_markdown(diagnosis))
    else:
        print_text(diagnosis, Console())
