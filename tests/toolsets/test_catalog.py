"""The toolset catalog: YAML joined to implementations, settings applied, prerequisites checked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from holmes.config import Settings
from holmes.errors import UserError
from holmes.toolsets.base import ToolContext
from holmes.toolsets.catalog import BUILTIN_DIR, build_registry, load_catalog, toolset_statuses

from .objects import pod

MINE = ("kubernetes", "events", "pods", "logs", "nodes", "dra", "kserve")


def _copy(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "builtin"
    folder.mkdir()
    for name in names:
        shutil.copy(BUILTIN_DIR / f"{name}.yaml", folder / f"{name}.yaml")
    return folder


def test_builtin_catalog_describes_every_implemented_tool():
    catalog = load_catalog(Settings())
    described = {tool for spec in catalog.toolsets.values() for tool in spec.tools}
    assert described == set(catalog.implementations)
    assert {"kubernetes", "dra", "kserve"} <= set(catalog.toolsets)
    for spec in catalog.toolsets.values():
        assert spec.requires in ("kubernetes", "prometheus", "none")


def test_registry_has_only_usable_tools_with_yaml_descriptions(replay, tmp_path):
    ctx = replay([pod("vllm-0")])
    folder = _copy(tmp_path, "kubernetes", "dra", "kserve")
    catalog = load_catalog(Settings(), builtin_dir=folder, modules=MINE)
    registry = build_registry(Settings(tool_timeout_s=7), ctx, catalog)
    names = registry.names()
    assert "kubernetes_describe_pod" in names and "dra_explain_pod" in names
    assert "kserve_inferenceservice" not in names  # the replayed API serves no serving.kserve.io
    described = yaml.safe_load((folder / "kubernetes.yaml").read_text())["tools"]["kubernetes_logs"]["description"]
    tool = registry.get("kubernetes_logs")
    assert tool is not None
    assert tool.description == described.strip() and tool.toolset == "kubernetes" and tool.timeout_s == 7


def test_statuses_say_why_a_toolset_is_off(replay, tmp_path):
    folder = _copy(tmp_path, "kubernetes", "kserve")
    catalog = load_catalog(Settings(), builtin_dir=folder, modules=("kubernetes", "events", "pods", "logs", "nodes",
                                                                     "kserve"))
    statuses = {s.name: s for s in toolset_statuses(Settings(), replay([pod("a")]), catalog)}
    assert (statuses["kserve"].status, statuses["kserve"].reason) == ("off", "the API does not serve serving.kserve.io")
    assert statuses["kubernetes"].status == "ready" and len(statuses["kubernetes"].tools) == 10
    offline = {s.name: s for s in toolset_statuses(Settings(), ToolContext(), catalog)}
    assert (offline["kubernetes"].status, offline["kubernetes"].reason) == ("off", "no Kubernetes API configured")


def test_settings_disable_a_toolset_and_a_tool(tmp_path):
    folder = _copy(tmp_path, "kubernetes", "dra")
    settings = Settings(toolsets={"dra": {"enabled": False},
                                  "kubernetes": {"tools": {"kubernetes_get": {"enabled": False}}}})
    catalog = load_catalog(settings, builtin_dir=folder, modules=MINE[:-1])
    statuses = {s.name: s for s in toolset_statuses(settings, ToolContext(), catalog)}
    assert (statuses["dra"].enabled, statuses["dra"].status) == (False, "disabled")
    assert statuses["kubernetes"].disabled_tools == ["kubernetes_get"]
    assert "kubernetes_get" not in statuses["kubernetes"].tools


def test_settings_naming_an_unknown_toolset_is_one_clear_error(tmp_path):
    folder = _copy(tmp_path, "kserve")
    with pytest.raises(UserError, match=r"^settings toolsets.kube: unknown toolset 'kube'; known toolsets: kserve$"):
        load_catalog(Settings(toolsets={"kube": {"enabled": False}}), builtin_dir=folder, modules=("kserve",))


def test_toolset_dirs_redescribe_and_disable_tools(tmp_path):
    folder = _copy(tmp_path, "kubernetes")
    extra = tmp_path / "mine"
    extra.mkdir()
    (extra / "site.yaml").write_text(yaml.safe_dump({"name": "kubernetes", "tools": {
        "kubernetes_logs": {"description": "Logs. On our clusters vLLM logs JSON; grep for '\"level\": \"ERROR\"'."},
        "kubernetes_list": {"enabled": False}}}))
    settings = Settings(toolset_dirs=[str(extra)])
    catalog = load_catalog(settings, builtin_dir=folder, modules=MINE[:5])
    spec = catalog.toolsets["kubernetes"]
    assert spec.tools["kubernetes_logs"].description.startswith("Logs. On our clusters")
    assert spec.tools["kubernetes_list"].enabled is False


def test_overlay_cannot_change_prerequisites(tmp_path):
    folder = _copy(tmp_path, "kserve")
    extra = tmp_path / "mine"
    extra.mkdir()
    (extra / "kserve.yaml").write_text("name: kserve\nenabled: false\nrequires: none\n")
    with pytest.raises(UserError) as error:
        load_catalog(Settings(toolset_dirs=[str(extra)]), builtin_dir=folder, modules=("kserve",))
    assert str(error.value) == f"{extra / 'kserve.yaml'}:3: field 'requires': unknown field"


def test_yaml_tool_without_implementation_is_an_error(tmp_path):
    folder = _copy(tmp_path, "kserve")
    doc = yaml.safe_load((folder / "kserve.yaml").read_text())
    doc["tools"]["kserve_servingruntimes"] = {"description": "ServingRuntimes of a namespace and their images."}
    (folder / "kserve.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(UserError, match=r"kserve.yaml: field 'tools.kserve_servingruntimes': no implementation"):
        load_catalog(Settings(), builtin_dir=folder, modules=("kserve",))


def test_implementation_without_yaml_is_an_error(tmp_path):
    folder = _copy(tmp_path, "kserve")
    with pytest.raises(UserError, match=r"^tools implemented but described in no toolsets/\*.yaml file: dra_"):
        load_catalog(Settings(), builtin_dir=folder, modules=("kserve", "dra"))


def test_malformed_yaml_names_file_and_line(tmp_path):
    folder = tmp_path / "builtin"
    folder.mkdir()
    (folder / "broken.yaml").write_text("name: broken\ndescription: x\ntools:\n  a: [unclosed\n")
    with pytest.raises(UserError, match=r"broken.yaml:5: invalid YAML"):
        load_catalog(Settings(), builtin_dir=folder, modules=())


def test_missing_or_wrong_field_names_file_line_and_field(tmp_path):
    folder = tmp_path / "builtin"
    folder.mkdir()
    (folder / "k.yaml").write_text("name: k\ndescription: d\nrequires: kubernetes\ntools:\n"
                                   "  kserve_inferenceservice:\n    enabled: true\n")
    with pytest.raises(UserError) as error:
        load_catalog(Settings(), builtin_dir=folder, modules=("kserve",))
    field = "tools.kserve_inferenceservice.description"
    assert str(error.value) == f"{folder / 'k.yaml'}:5: field '{field}': Field required"
    (folder / "k.yaml").write_text("name: k\ndescription: d\nrequires: cluster\ntools: {}\n")
    with pytest.raises(UserError, match=r"k.yaml:3: field 'requires': Input should be 'kubernetes', 'prometheus' or"):
        load_catalog(Settings(), builtin_dir=folder, modules=())


def test_unreachable_api_turns_kubernetes_toolsets_off_with_the_reason(tmp_path):
    import socket

    from holmes.sources.kube import KubeReader

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = _copy(tmp_path, "kserve")
    ctx = ToolContext(kube=KubeReader.for_url(f"http://127.0.0.1:{port}", request_timeout=2))
    [status] = toolset_statuses(Settings(), ctx, load_catalog(Settings(), builtin_dir=folder, modules=("kserve",)))
    assert status.status == "off"
    assert status.reason.startswith("Kubernetes API unreachable: GET /version: cannot reach the Kubernetes API")
