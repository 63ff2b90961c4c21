"""load_settings: a bad config file or HOLMES_* variable is one line naming where the bad key came from."""

from __future__ import annotations

from pathlib import Path

import pytest

from holmes.config import load_settings
from holmes.errors import UserError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.upper().startswith("HOLMES_"):
            monkeypatch.delenv(name)


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("text", "key"), [
    ("llm: {temprature: 0.5}\n", "llm.temprature"),
    ("slack: {alert_routes: [{channel: c, mtch: {a: b}}]}\n", "slack.alert_routes.0.mtch"),
])
def test_misspelt_key_inside_a_section_is_an_error_not_ignored(tmp_path: Path, text: str, key: str) -> None:
    path = config(tmp_path, text)
    with pytest.raises(UserError, match=rf"^{path}: key '{key}': Extra inputs are not permitted$"):
        load_settings(path)


@pytest.mark.parametrize(("text", "key"), [
    ("service: {port: 70000}\n", "service.port"),
    ("tool_token_budget: 0\n", "tool_token_budget"),
    ("tool_timeout_s: -5\n", "tool_timeout_s"),
    ("agent: {max_steps: 0}\n", "agent.max_steps"),
    ("llm: {context_window: -1}\n", "llm.context_window"),
    ("llm: {temperature: 7}\n", "llm.temperature"),
])
def test_out_of_range_numbers_are_refused(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(UserError, match=rf"key '{key}': Input should be"):
        load_settings(config(tmp_path, text))


def test_bad_environment_value_names_the_variable_not_the_file(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOLMES_LLM__TEMPERATURE", "hot")
    with pytest.raises(UserError, match=r"^environment HOLMES_LLM__TEMPERATURE: key 'llm.temperature'"):
        load_settings(config(tmp_path, "llm: {temperature: 0.2}\n"))


def test_bad_file_value_still_names_the_file_when_another_variable_is_set(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOLMES_LLM__MODEL", "m")
    path = config(tmp_path, "llm: {temperature: hot}\n")
    with pytest.raises(UserError, match=rf"^{path}: key 'llm.temperature'"):
        load_settings(path)


@pytest.mark.parametrize(("name", "value"), [("HOLMES_RUNBOOK_DIRS", "/etc/runbooks"), ("HOLMES_LLM", "{bad")])
def test_environment_list_or_mapping_that_is_not_json_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(UserError, match=rf"^environment {name}: not valid JSON"):
        load_settings(config(tmp_path, "{}\n"))


def test_valid_environment_json_list_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOLMES_RUNBOOK_DIRS", '["/etc/holmes/runbooks"]')
    assert load_settings(config(tmp_path, "{}\n")).runbook_dirs == ["/etc/holmes/runbooks"]
