"""Fixtures for runbook tests."""

from __future__ import annotations

import pytest

from .canned import CannedTools


@pytest.fixture
def tools() -> CannedTools:
    return CannedTools()
