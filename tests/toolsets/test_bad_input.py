"""Bad toolset overlays: one line naming the file or directory at fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from holmes.config import Settings
from holmes.errors import UserError
from holmes.toolsets.catalog import load_catalog


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
