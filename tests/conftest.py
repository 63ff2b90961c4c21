"""Suite-wide rule: in CI a skipped test is a failure, so a missing service or package can never pass silently.

Locally, tests that need Prometheus, Alertmanager, PostgreSQL, kubectl or llama.cpp skip with the reason;
CI installs all of them (.ci/run -> make test), so any skip there means the setup broke.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which must run every test: {reason}"
