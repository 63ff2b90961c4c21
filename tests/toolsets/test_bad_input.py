"""Bad toolset overlays and tool arguments: one line naming what is wrong, never an exception out of a tool."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from holmes.config import Settings
from holmes.errors import UserError
from holmes.toolsets.base import ToolError
from holmes.toolsets.catalog import load_catalog
from holmes.toolsets.timespec import parse_duration, parse_time

NOW = datetime(2025, 3, 27, 9, 42, tzinfo=UTC)


def test_toolset_dirs_entry_that_is_a_file_says_so(tmp_path: Path) -> None:
    overlay = tmp_path / "kubernetes.yaml"
    overlay.write_text("name: kubernetes\nenabled: false\n")
    with pytest.raises(UserError, match=rf"^{overlay}: is a file; toolset_dirs lists directories$"):
        load_catalog(Settings(toolset_dirs=[str(overlay)]))


def test_missing_toolset_dir_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=rf"^{tmp_path / 'nope'}: toolset directory not found$"):
        load_catalog(Settings(toolset_dirs=[str(tmp_path / "nope")]))


def test_overlay_that_is_a_list_names_the_file_and_the_type(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("- 1\n")
    with pytest.raises(UserError, match=r"x\.yaml: a toolset file must be a mapping .* not list$"):
        load_catalog(Settings(toolset_dirs=[str(tmp_path)]))


@pytest.mark.parametrize("duration", ["99999999999d", "11y", -5, float("nan"), float("inf")])
def test_out_of_range_duration_is_a_tool_error_not_an_overflow(duration: object) -> None:
    with pytest.raises(ToolError, match="is out of range; use 0s to 10y"):
        parse_duration(duration)  # type: ignore[arg-type]


@pytest.mark.parametrize("moment", ["now-99999999y", 1e20, -1e20, float("nan")])
def test_out_of_range_time_is_a_tool_error(moment: object) -> None:
    with pytest.raises(ToolError, match="out of range"):
        parse_time(moment, NOW)  # type: ignore[arg-type]


def test_ordinary_durations_and_times_still_read() -> None:
    assert parse_duration("1h30m") == 5400
    assert parse_duration("10y") == 10 * 31536000
    assert parse_time("now-15m", NOW) == NOW - timedelta(minutes=15)
