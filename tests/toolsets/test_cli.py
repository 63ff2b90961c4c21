"""`holmes toolsets list` as a person runs it: against a recorded bundle, as a table or JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import write_bundle
from .objects import pod


def _holmes(*args: str, config: Path) -> subprocess.CompletedProcess[str]:
    env = {"HOLMES_CONFIG": str(config), "PATH": "/usr/bin:/bin", "KUBECONFIG": str(config.parent / "none")}
    return subprocess.run([sys.executable, "-c", "from holmes.cli.app import main; main()", *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_toolsets_list_against_a_bundle_says_why_kserve_is_off(tmp_path):
    bundle = write_bundle(tmp_path / "incident", [pod("vllm-0")])
    config = tmp_path / "config.yaml"
    config.write_text("toolsets:\n  dra:\n    enabled: false\n")
    done = _holmes("toolsets", "list", "--bundle", str(bundle), "-o", "json", config=config)
    assert done.returncode == 0, done.stderr
    statuses = {s["name"]: s for s in json.loads(done.stdout)}
    assert statuses["kubernetes"]["status"] == "ready"
    assert (statuses["kserve"]["status"], statuses["kserve"]["reason"]) == (
        "off", "the API does not serve serving.kserve.io")
    assert (statuses["dra"]["status"], statuses["dra"]["enabled"]) == ("disabled", False)
    table = _holmes("toolsets", "list", "--bundle", str(bundle), config=config)
    assert table.stdout.splitlines()[0].split() == ["TOOLSET", "STATUS", "TOOLS", "REQUIRES", "WHY", "NOT", "READY"]
    assert any(line.split()[:3] == ["kubernetes", "ready", "10"] for line in table.stdout.splitlines())


def test_toolsets_list_bad_input_is_one_line_and_exit_2(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("toolsets:\n  nosuch:\n    enabled: false\n")
    done = _holmes("toolsets", "list", config=config)
    assert done.returncode == 2
    assert done.stderr.startswith("holmes: error: settings toolsets.nosuch: unknown toolset 'nosuch'")
    assert len(done.stderr.strip().splitlines()) == 1
    config.write_text("{}\n")
    missing = _holmes("toolsets", "list", "--bundle", str(tmp_path / "nope"), config=config)
    assert missing.returncode == 2
    assert missing.stderr == f"holmes: error: {tmp_path / 'nope'}: bundle directory not found\n"


def test_toolsets_schema_publishes_the_yaml_schema(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("{}\n")
    done = _holmes("toolsets", "schema", config=config)
    schema = json.loads(done.stdout)
    assert set(schema["required"]) == {"name", "description", "requires", "tools"}
    assert schema["additionalProperties"] is False
    assert schema["properties"]["requires"]["enum"] == ["kubernetes", "prometheus", "none"]
