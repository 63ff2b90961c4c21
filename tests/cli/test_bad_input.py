"""Bad command lines get click's usage hint or one `holmes: error:` line and a non-zero exit, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from holmes.cli.app import app
from holmes.cli.errors import run_guarded

BUNDLE = Path(__file__).resolve().parents[2] / "evals" / "incidents" / "gpu-pending-untolerated-taint"


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees an empty config and no cluster, whatever the machine has."""
    config = tmp_path / "config.yaml"
    config.write_text("{}\n")
    monkeypatch.setenv("HOLMES_CONFIG", str(config))
    monkeypatch.setenv("HOLMES_KUBERNETES__KUBECONFIG", str(tmp_path / "no-kubeconfig"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.delenv("HOLMES_DEBUG", raising=False)


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = run_guarded(app, args)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


@pytest.mark.parametrize(("args", "says"), [
    (["investigate", "--bogus"], "No such option: --bogus"),
    (["frobnicate"], "No such command 'frobnicate'"),
    (["ask"], "Missing argument"),
    (["replay", "serve", "somewhere", "--port", "abc"], "Invalid value for '--port'"),
])
def test_usage_errors_exit_2_with_the_usage_hint_not_a_class_name(args: list[str], says: str,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(args, capsys)
    assert code == 2
    assert says in err
    assert "Usage: holmes" in err
    assert "Error" in err and "run with --debug" not in err


def test_bare_group_prints_its_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = run_guarded(app, ["replay"])
    captured = capsys.readouterr()
    assert code == 2
    assert "Usage: holmes replay" in captured.out + captured.err
    assert "NoArgsIsHelpError" not in captured.err and "Traceback" not in captured.err


def test_unreadable_subject_is_one_line_naming_the_expected_form(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["investigate", "pod", "a/b/c", "--bundle", str(BUNDLE), "--no-llm"], capsys)
    assert code == 2
    assert err.strip() == ("holmes: error: cannot read subject 'pod a/b/c': expected KIND NAMESPACE/NAME, "
                           "e.g. 'pod llm/vllm-0'")


def test_empty_question_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["ask", "   ", "--bundle", str(BUNDLE), "--no-llm"], capsys)
    assert code == 2
    assert "the question is empty" in err


def test_subject_without_any_cluster_fails_instead_of_answering_unknown(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["investigate", "pod", "llm/vllm-0", "--no-llm"], capsys)
    assert code == 2
    assert err.startswith("holmes: error: cannot look up pod llm/vllm-0: no usable kubeconfig")
    assert str(tmp_path / "no-kubeconfig") in err
    assert len(err.strip().splitlines()) == 1


def test_env_variable_with_a_bad_value_is_named(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HOLMES_LLM__PROVIDER", "bogus")
    code, err = run(["config", "show"], capsys)
    assert code == 2
    assert err.startswith("holmes: error: environment HOLMES_LLM__PROVIDER: key 'llm.provider'")


def test_runbooks_option_accepts_a_single_file_and_names_a_missing_one(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["investigate", "--bundle", str(BUNDLE), "--no-llm", "--runbooks", str(tmp_path / "nope.yaml")],
                    capsys)
    assert code == 2
    assert err.strip() == f"holmes: error: {tmp_path / 'nope.yaml'}: runbook file or directory not found"
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\nsteps: [\n")
    code, err = run(["investigate", "--bundle", str(BUNDLE), "--no-llm", "--runbooks", str(broken)], capsys)
    assert code == 2
    assert f"{broken}:3:" in err and "invalid YAML" in err


def test_question_with_rich_markup_is_shown_not_parsed(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["ask", "why is coder-assist/deepseek-coder-7b-kvcache-79d5c6bf4d-h8tnm pending [/] [bold]",
                     "--bundle", str(BUNDLE), "--no-llm", "-o", "json"], capsys)
    assert code == 0
    assert "MarkupError" not in err
