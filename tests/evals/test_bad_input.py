"""Bad eval and capture input: one line naming the file and field; what capture writes always loads back."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from holmes.bundle.loader import load_bundle
from holmes.cli.app import app
from holmes.cli.errors import run_guarded
from holmes.config import Settings
from holmes.domain import Subject, Trigger
from holmes.errors import UserError
from holmes.evals.capture import capture, redact_strings
from holmes.evals.runner import run_incident
from holmes.investigation import open_sources

INCIDENTS = Path(__file__).resolve().parents[2] / "evals" / "incidents"
BUNDLE = INCIDENTS / "gpu-pending-untolerated-taint"


def copy_bundle(tmp_path: Path, name: str, **expected: object) -> Path:
    target = tmp_path / name
    shutil.copytree(BUNDLE, target)
    spec = yaml.safe_load((target / "incident.yaml").read_text())
    spec["id"] = name
    spec["expected"].update(expected)
    (target / "incident.yaml").write_text(yaml.safe_dump(spec))
    return target


def test_expected_root_cause_outside_the_taxonomy_is_an_error_run(tmp_path: Path) -> None:
    run = run_incident(copy_bundle(tmp_path, "typo", root_cause="scheduling.gpu_taint_untolerate"), Settings(),
                       use_llm=False)
    assert run.verdict == "error"
    assert run.error == ("typo/incident.yaml: field expected.root_cause: 'scheduling.gpu_taint_untolerate' is not "
                         "a root-cause id of the taxonomy (see `holmes runbooks list`)")


def test_forbidden_entry_scored_as_an_id_must_be_one(tmp_path: Path) -> None:
    run = run_incident(copy_bundle(tmp_path, "forbid", forbidden=["gpu.device_plugin_missing"]), Settings(),
                       use_llm=False)
    assert run.verdict == "error"
    assert run.error.startswith("forbid/incident.yaml: field expected.forbidden: 'gpu.device_plugin_missing'")


def test_id_that_differs_from_the_directory_is_reported_under_the_directory(tmp_path: Path) -> None:
    bundle = copy_bundle(tmp_path, "copy")
    shutil.move(bundle, tmp_path / "renamed")
    run = run_incident(tmp_path / "renamed", Settings(), use_llm=False)
    assert (run.id, run.verdict) == ("renamed", "error")
    assert "field id: 'copy' must equal the bundle directory's name 'renamed'" in run.error


def test_mixed_good_and_bad_bundles_run_on_and_exit_non_zero(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    copy_bundle(tmp_path, "good")
    broken = copy_bundle(tmp_path, "broken")
    (broken / "cluster" / "zz.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: x\n")
    report = tmp_path / "out" / "report.json"
    code = run_guarded(app, ["eval", "run", str(tmp_path / "good"), str(broken), "--no-llm", "--jobs", "1",
                             "--report", str(report)])
    assert code == 1
    results = {r["id"]: r for r in json.loads(report.read_text())["results"]}
    assert results["good"]["verdict"] == "pass"
    assert results["broken"]["verdict"] == "error"
    assert results["broken"]["error"].startswith("broken/cluster/zz.yaml:4: malformed YAML")
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize(("args", "says"), [
    (["--report", "{tmp}"], "is a directory; --report takes a file"),
    (["--baseline", "{tmp}/missing.json"], "cannot read the baseline report"),
])
def test_unusable_report_or_baseline_fails_before_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          args: list[str], says: str) -> None:
    code = run_guarded(app, ["eval", "run", str(tmp_path / "no-such-bundle"), "--no-llm",
                             *(a.format(tmp=tmp_path) for a in args)])
    err = capsys.readouterr().err
    assert code == 2
    assert says in err
    assert "error no-such-bundle" not in err  # nothing ran


@pytest.mark.parametrize("results", [[1], [{"id": 5, "verdict": "pass"}], [{"verdict": "pass"}]])
def test_compare_names_the_malformed_result(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            results: list[object]) -> None:
    bad, good = tmp_path / "bad.json", tmp_path / "good.json"
    bad.write_text(json.dumps({"results": results}))
    good.write_text(json.dumps({"results": []}))
    assert run_guarded(app, ["eval", "compare", str(bad), str(good)]) == 2
    assert capsys.readouterr().err.strip() == (f"holmes: error: {bad}: results[0]: expected an object with "
                                               "string 'id' and 'verdict'")


def test_perturb_names_the_broken_file_and_refuses_to_write_into_the_bundle(tmp_path: Path,
                                                                            capsys: pytest.CaptureFixture[str]) -> None:
    broken = copy_bundle(tmp_path, "broken")
    (broken / "cluster" / "zz.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: x\n")
    assert run_guarded(app, ["eval", "perturb", str(broken), "--out", str(tmp_path / "v")]) == 2
    assert "broken/cluster/zz.yaml:4: malformed YAML" in capsys.readouterr().err
    good = copy_bundle(tmp_path, "good")
    assert run_guarded(app, ["eval", "perturb", str(good), "--out", str(good / "variants")]) == 2
    assert "is inside the bundle" in capsys.readouterr().err
    assert not (good / "variants").exists()


def test_redaction_masks_secrets_without_breaking_the_object_shape() -> None:
    pod = {"spec": {"containers": [{"env": [{"name": "HF_TOKEN", "value": "hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345"}],
                                    "args": ["--api-key=sk-proj-AbCdEfGhIjKlMnOpQrStUvWx"]}],
                    "volumes": [{"projected": {"sources": [{"serviceAccountToken": {"expirationSeconds": 3607,
                                                                                    "path": "token"}}]}}]},
           "data": {"password": "hunter2-for-real"}}
    redacted = redact_strings(pod, _redactor())
    text = yaml.safe_dump(redacted)
    assert "hf_AbCdEf" not in text and "sk-proj-" not in text and "hunter2" not in text
    assert redacted["spec"]["volumes"] == pod["spec"]["volumes"]
    assert redacted["spec"]["containers"][0]["env"][0]["name"] == "HF_TOKEN"


def test_captured_bundle_loads_back_and_keeps_projected_token_volumes(tmp_path: Path) -> None:
    subject = Subject.parse("pod coder-assist/deepseek-coder-7b-instruct-5f7c9d8b6-k2xqp")
    with open_sources(Settings(), BUNDLE) as sources:
        assert sources.kube is not None
        out = capture(sources.kube, tmp_path / "captured", Trigger(subject=subject), now=sources.now)
    bundle = load_bundle(out)
    pod = next(o for o in bundle.objects if o["kind"] == "Pod")
    sources_ = [s for v in pod["spec"]["volumes"] for s in (v.get("projected") or {}).get("sources", [])]
    assert {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}} in sources_


def test_capture_refuses_a_file_as_output(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with open_sources(Settings(), BUNDLE) as sources:
        assert sources.kube is not None
        with pytest.raises(UserError, match="is a file; --out takes a new or empty directory"):
            capture(sources.kube, target, Trigger(subject=Subject.parse("pod coder-assist/x")), now=sources.now)


def _redactor():  # type: ignore[no-untyped-def]
    from holmes.agent.redact import redact

    return redact


def test_markup_in_tags_is_printed_literally_and_the_report_is_kept(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    bundle = copy_bundle(tmp_path, "tagged")
    spec = yaml.safe_load((bundle / "incident.yaml").read_text())
    spec["tags"] = ["[/oops]", "[bold]"]
    (bundle / "incident.yaml").write_text(yaml.safe_dump(spec))
    report = tmp_path / "report.json"
    code = run_guarded(app, ["eval", "run", str(bundle), "--no-llm", "--report", str(report)])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "[/oops]" in out.out and "[bold]" in out.out
    assert json.loads(report.read_text())["passed"] == 1
