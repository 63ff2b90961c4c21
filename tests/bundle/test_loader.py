"""Loading bundles: what a good one gives, and one clear line naming file and field for each bad one."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from holmes.bundle.loader import load_bundle
from holmes.bundle.model import LogKey
from holmes.domain import Subject
from holmes.errors import UserError

INCIDENT = """\
id: {id}
title: Pending GPU pod
case: GPU-01
sources: [https://example.com/issue/1]
captured_at: "2025-03-14T10:20:00Z"
tags: [scheduling, gpu]
trigger:
  question: why is the helper pending?
  subject: pod llm/kvcache-helper-6d9f-abcde
expected:
  root_cause: scheduling.gpu_taint_untolerated
  evidence: ["untolerated taint {{nvidia.com/gpu: present}}"]
  remediation: [toleration]
"""

POD = """\
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: llm, uid: u-{name}, resourceVersion: "7",
           creationTimestamp: "2025-03-14T10:00:00Z"}}
spec: {{containers: [{{name: main, image: x}}]}}
"""


def make_bundle(root: Path, cluster: dict[str, str | bytes] | None = None, incident: str | None = None,
                incident_id: str = "pending-gpu") -> Path:
    bundle = root / incident_id
    (bundle / "cluster").mkdir(parents=True)
    (bundle / "incident.yaml").write_text(INCIDENT.format(id=incident_id) if incident is None else incident)
    for name, content in (cluster or {"pods.yaml": POD.format(name="kvcache-helper-6d9f-abcde")}).items():
        path = bundle / "cluster" / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return bundle


def error_of(bundle_dir: Path) -> str:
    with pytest.raises(UserError) as raised:
        load_bundle(bundle_dir)
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_good_bundle_gives_spec_objects_logs_and_metrics(tmp_path: Path) -> None:
    bundle_dir = make_bundle(tmp_path)
    (bundle_dir / "logs" / "llm" / "kvcache-helper-6d9f-abcde").mkdir(parents=True)
    (bundle_dir / "logs" / "llm" / "kvcache-helper-6d9f-abcde" / "main.log").write_text("hello\n")
    (bundle_dir / "logs" / "llm" / "kvcache-helper-6d9f-abcde" / "main.previous.log").write_text("bye\n")
    (bundle_dir / "metrics").mkdir()
    (bundle_dir / "metrics" / "gpu.om").write_text("# EOF\n")
    bundle = load_bundle(bundle_dir)
    assert bundle.spec.id == "pending-gpu" and bundle.spec.case == "GPU-01"
    assert bundle.spec.captured_at == datetime(2025, 3, 14, 10, 20, tzinfo=UTC)
    assert bundle.spec.trigger.subject == Subject(kind="pod", namespace="llm", name="kvcache-helper-6d9f-abcde")
    assert bundle.spec.expected.remediation == ["toleration"]
    assert [o["metadata"]["name"] for o in bundle.objects] == ["kvcache-helper-6d9f-abcde"]
    assert bundle.objects[0]["spec"]["containers"][0]["name"] == "main"
    assert set(bundle.logs) == {LogKey("llm", "kvcache-helper-6d9f-abcde", "main", False),
                                LogKey("llm", "kvcache-helper-6d9f-abcde", "main", True)}
    assert bundle.log_path("llm", "kvcache-helper-6d9f-abcde", "main", previous=True) == \
        bundle_dir / "logs" / "llm" / "kvcache-helper-6d9f-abcde" / "main.previous.log"
    assert bundle.metrics == [bundle_dir / "metrics" / "gpu.om"]


def test_alert_trigger_is_read_as_an_alertmanager_alert(tmp_path: Path) -> None:
    incident = INCIDENT.format(id="a").replace(
        "  question: why is the helper pending?\n  subject: pod llm/kvcache-helper-6d9f-abcde\n",
        "  alert: {status: firing, labels: {alertname: KubePodNotReady, namespace: llm}, "
        "startsAt: '2025-03-14T10:00:00Z'}\n")
    bundle = load_bundle(make_bundle(tmp_path, incident=incident, incident_id="a"))
    assert bundle.spec.trigger.alert is not None and bundle.spec.trigger.alert.name == "KubePodNotReady"


def test_kind_list_is_flattened_and_multi_documents_are_read(tmp_path: Path) -> None:
    listed = "apiVersion: v1\nkind: List\nitems:\n" + "".join(
        "- " + POD.format(name=name).replace("\n", "\n  ").rstrip() + "\n" for name in ("a", "b"))
    bundle = load_bundle(make_bundle(tmp_path, {"list.yaml": listed, "more.yaml": POD.format(name="c") + "---\n"
                                                + POD.format(name="d")}))
    assert sorted(o["metadata"]["name"] for o in bundle.objects) == ["a", "b", "c", "d"]


def test_api_list_answer_is_flattened_with_its_kind_and_version(tmp_path: Path) -> None:
    api_answer = ('{"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "9"}, "items": ['
                  '{"metadata": {"name": "a", "namespace": "llm"}, "spec": {}}]}')
    bundle = load_bundle(make_bundle(tmp_path, {"pods.json": api_answer}))
    assert bundle.objects[0] == {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "llm"},
                                 "spec": {}}


def test_timestamps_stay_strings_as_the_api_serves_them(tmp_path: Path) -> None:
    pod = POD.format(name="p").replace('"2025-03-14T10:00:00Z"', "2025-03-14T10:00:00Z")
    bundle = load_bundle(make_bundle(tmp_path, {"p.yaml": pod}))
    assert bundle.objects[0]["metadata"]["creationTimestamp"] == "2025-03-14T10:00:00Z"


def test_unknown_kind_is_kept_as_is(tmp_path: Path) -> None:
    odd = "apiVersion: acme.io/v3\nkind: FluxCapacitor\nmetadata: {name: fc, namespace: lab}\nspec: {gigawatts: 1.21}\n"
    bundle = load_bundle(make_bundle(tmp_path, {"odd.yaml": odd}))
    assert bundle.objects[0] == {"apiVersion": "acme.io/v3", "kind": "FluxCapacitor",
                                 "metadata": {"name": "fc", "namespace": "lab"}, "spec": {"gigawatts": 1.21}}


def test_secret_values_are_dropped_when_loading(tmp_path: Path) -> None:
    secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: llm}\ndata: {k: dg==}\nstringData: {k: v}\n"
    bundle = load_bundle(make_bundle(tmp_path, {"s.yaml": secret}))
    assert bundle.objects[0] == {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "llm"}}


def test_namespaced_object_without_namespace_lands_in_default(tmp_path: Path) -> None:
    pod = POD.format(name="p").replace("namespace: llm, ", "")
    bundle = load_bundle(make_bundle(tmp_path, {"p.yaml": pod}))
    assert bundle.objects[0]["metadata"]["namespace"] == "default"


def test_cluster_scoped_object_recorded_with_a_namespace_is_found_without_one(tmp_path: Path) -> None:
    node = "apiVersion: v1\nkind: Node\nmetadata: {name: gpu-node-1, namespace: llm}\n"
    bundle = load_bundle(make_bundle(tmp_path, {"n.yaml": node}))
    (collection,) = bundle.store.collections.values()
    assert [(o.namespace, o.name) for o in collection.objects] == [("", "gpu-node-1")]


def test_missing_directory(tmp_path: Path) -> None:
    assert error_of(tmp_path / "nope") == f"{tmp_path / 'nope'}: bundle directory not found"


def test_missing_incident_yaml(tmp_path: Path) -> None:
    bundle_dir = make_bundle(tmp_path)
    (bundle_dir / "incident.yaml").unlink()
    assert error_of(bundle_dir) == "pending-gpu/incident.yaml: missing (every bundle needs incident.yaml)"


def test_malformed_cluster_yaml_names_file_and_line(tmp_path: Path) -> None:
    bad = POD.format(name="a") + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: b\n  namespace: llm\n"
    message = error_of(make_bundle(tmp_path, {"pods.yaml": bad}))
    assert message == ("pending-gpu/cluster/pods.yaml:10: malformed YAML: did not find expected ',' or '}' "
                       "(while parsing a flow mapping started at line 9)")


def test_malformed_incident_yaml_names_its_line(tmp_path: Path) -> None:
    message = error_of(make_bundle(tmp_path, incident="id: x\ntitle: [unclosed\n"))
    assert message.startswith("pending-gpu/incident.yaml:3: malformed YAML")


@pytest.mark.parametrize(("incident", "fragment"), [
    (INCIDENT.format(id="x").replace('"2025-03-14T10:20:00Z"', '"2025-03-14T10:20:00"'), "field captured_at"),
    (INCIDENT.format(id="x").replace("pod llm/kvcache-helper-6d9f-abcde", "pod llm/Bad_Name!"),
     "field trigger: cannot read subject"),
    (INCIDENT.format(id="x").replace("  root_cause: scheduling.gpu_taint_untolerated\n", ""),
     "field expected.root_cause: Field required"),
    (INCIDENT.format(id="x").replace("tags:", "colour: red\ntags:"), "field colour: Extra inputs are not permitted"),
    ("id: x\ntitle: t\ncaptured_at: '2025-03-14T10:20:00Z'\ntrigger: {}\nexpected: {root_cause: unknown}\n",
     "trigger needs a question, a subject or an alert"),
    ("- just\n- a list\n", "expected a mapping"),
])
def test_invalid_incident_fields_are_named(tmp_path: Path, incident: str, fragment: str) -> None:
    message = error_of(make_bundle(tmp_path, incident=incident))
    assert message.startswith("pending-gpu/incident.yaml: ") and fragment in message


@pytest.mark.parametrize(("document", "field"), [
    ("kind: Pod\nmetadata: {name: a}\n", "field apiVersion: missing"),
    ("apiVersion: v1\nmetadata: {name: a}\n", "field kind: missing"),
    ("apiVersion: v1\nkind: Pod\n", "field metadata: missing"),
    ("apiVersion: v1\nkind: Pod\nmetadata: {namespace: llm}\n", "field metadata.name: missing (Pod)"),
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: [x]}\n", "field metadata.labels: expected a mapping"),
    ("just a string\n", "expected a Kubernetes object (a mapping), got str"),
])
def test_incomplete_objects_name_file_document_and_field(tmp_path: Path, document: str, field: str) -> None:
    message = error_of(make_bundle(tmp_path, {"objs.yaml": POD.format(name="ok") + "---\n" + document}))
    assert message == f"pending-gpu/cluster/objs.yaml document 2: {field}" or \
        message.startswith(f"pending-gpu/cluster/objs.yaml document 2: {field}")


def test_incomplete_object_inside_a_list_names_its_item(tmp_path: Path) -> None:
    listed = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: a}}\n- {kind: Pod}\n"
    message = error_of(make_bundle(tmp_path, {"list.yaml": listed}))
    assert message.startswith("pending-gpu/cluster/list.yaml document 1 items[1]: field apiVersion: missing")


def test_duplicate_objects_name_both_places(tmp_path: Path) -> None:
    message = error_of(make_bundle(tmp_path, {"a.yaml": POD.format(name="p"), "b.yaml": POD.format(name="q") + "---\n"
                                                    + POD.format(name="p")}))
    assert message == ("pending-gpu/cluster/b.yaml document 2: duplicate Pod llm/p "
                       "(first in pending-gpu/cluster/a.yaml document 1)")


def test_same_name_in_another_namespace_or_kind_is_not_a_duplicate(tmp_path: Path) -> None:
    other = POD.format(name="p").replace("namespace: llm", "namespace: other")
    config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: p, namespace: llm}\n"
    bundle = load_bundle(make_bundle(tmp_path, {"a.yaml": POD.format(name="p"), "b.yaml": other, "c.yaml": config_map}))
    assert len(bundle.objects) == 3


def test_non_utf8_file_is_named_with_the_offending_byte(tmp_path: Path) -> None:
    latin1 = POD.format(name="p").replace("image: x", "image: caf\u00e9").encode("latin-1")
    message = error_of(make_bundle(tmp_path, {"pods.yaml": latin1}))
    assert message.startswith("pending-gpu/cluster/pods.yaml: not UTF-8 text (byte 0xe9 at offset")


def test_misplaced_log_file_is_rejected(tmp_path: Path) -> None:
    bundle_dir = make_bundle(tmp_path)
    (bundle_dir / "logs" / "llm").mkdir(parents=True)
    (bundle_dir / "logs" / "llm" / "vllm.log").write_text("x\n")
    assert error_of(bundle_dir) == ("pending-gpu/logs/llm/vllm.log: expected logs/<namespace>/<pod>/<container>.log "
                                    "or <container>.previous.log")


def test_cli_reports_a_bad_bundle_in_one_line_with_exit_2(tmp_path: Path) -> None:
    bundle_dir = make_bundle(tmp_path, {"objs.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {}\n"})
    holmes = Path(sys.executable).parent / "holmes"
    result = subprocess.run([str(holmes), "replay", "serve", str(bundle_dir)], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 2
    assert result.stderr == ("holmes: error: pending-gpu/cluster/objs.yaml document 1: "
                             "field metadata.name: missing (Pod)\n")


@pytest.mark.parametrize("link", ["logs/llm/pod-a/main.previous.log", "cluster/stolen.yaml", "cluster/outside"])
def test_symlink_leading_out_of_the_bundle_is_refused(tmp_path: Path, link: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text(POD.format(name="stolen"))
    bundle = make_bundle(tmp_path)
    path = bundle / link
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(outside if link.endswith("outside") else outside / "secret.yaml")
    message = error_of(bundle)
    assert f"pending-gpu/{link}" in message and "symlink" in message and "outside the bundle" in message


def test_symlink_staying_inside_the_bundle_is_kept(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path)
    log = bundle / "logs" / "llm" / "pod-a" / "main.log"
    log.parent.mkdir(parents=True)
    log.write_text("hello\n")
    (log.parent / "main.previous.log").symlink_to(log)
    assert load_bundle(bundle).log_path("llm", "pod-a", "main", previous=True) is not None


WRONG_SHAPES = [
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: llm}\nspec: {containers: [main]}\n",
     "field spec.containers[0]: expected a mapping, got a string"),
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: llm}\nstatus: {conditions: [x]}\n",
     "field status.conditions[0]: expected a mapping"),
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: llm}\nspec: {tolerations: {key: a}}\n",
     "field spec.tolerations: expected a list, got dict"),
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: llm}\nstatus: running\n",
     "field status: expected a mapping, got a string"),
    ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: llm}\nspec: {selector: 1.5}\n",
     "field spec.selector: expected a mapping, got a number"),
    ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: llm}\n"
     "spec: {template: {spec: {volumes: [1]}}}\n", "field spec.template.spec.volumes[0]: expected a mapping"),
    ("apiVersion: v1\nkind: Node\nmetadata: {name: n}\nstatus: {conditions: Ready}\n",
     "field status.conditions: expected a list"),
]


@pytest.mark.parametrize(("document", "fragment"), WRONG_SHAPES)
def test_wrong_typed_fields_holmes_reads_name_file_document_and_field(
        tmp_path: Path, document: str, fragment: str) -> None:
    message = error_of(make_bundle(tmp_path, {"objs.yaml": POD.format(name="ok") + "---\n" + document}))
    assert message.startswith("pending-gpu/cluster/objs.yaml document 2: ") and fragment in message


@pytest.mark.parametrize("captured_at", ["12", "1710411600", '"12"', '"2025-03-14"', '"2025-03-14T10:20:00"'])
def test_captured_at_must_be_an_rfc3339_timestamp_with_a_timezone(tmp_path: Path, captured_at: str) -> None:
    incident = INCIDENT.format(id="pending-gpu").replace('"2025-03-14T10:20:00Z"', captured_at)
    message = error_of(make_bundle(tmp_path, incident=incident))
    assert message.startswith("pending-gpu/incident.yaml: field captured_at: expected an RFC3339 timestamp")


def test_captured_at_with_an_offset_is_accepted(tmp_path: Path) -> None:
    incident = INCIDENT.format(id="pending-gpu").replace("10:20:00Z", "12:20:00+02:00")
    assert load_bundle(make_bundle(tmp_path, incident=incident)).spec.captured_at == datetime(
        2025, 3, 14, 10, 20, tzinfo=UTC)


@pytest.mark.parametrize("name", ["cluster", "logs", "metrics"])
def test_bundle_part_that_is_a_file_is_named(tmp_path: Path, name: str) -> None:
    bundle = make_bundle(tmp_path)
    if name == "cluster":
        (bundle / "cluster" / "pods.yaml").unlink()
        (bundle / "cluster").rmdir()
    (bundle / name).write_text("not a directory\n")
    assert error_of(bundle) == f"pending-gpu/{name}: expected a directory, found a file"


def test_nul_byte_in_yaml_is_named_as_such(tmp_path: Path) -> None:
    message = error_of(make_bundle(tmp_path, {"pods.yaml": b"apiVersion: v1\nkind: Pod\x00\n"}))
    assert message == "pending-gpu/cluster/pods.yaml: contains a NUL byte (at offset 24); YAML text cannot hold one"
