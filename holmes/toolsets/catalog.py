"""The toolset catalog: YAML descriptions joined to Python implementations, settings applied, prerequisites checked."""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from holmes.config import Settings
from holmes.errors import UserError
from holmes.paths import builtin_toolsets
from holmes.sources.kube import KubeError
from holmes.toolsets.base import Tool, ToolContext, ToolRegistry
from holmes.toolsets.spec import ToolOverlay, ToolsetOverlay, ToolsetSpec, load_dir

BUILTIN_DIR = builtin_toolsets()

# Modules under holmes.toolsets that implement built-in tools (each exposes TOOLS: list[Tool]).
# A module that does not exist yet is skipped; its YAML tools then fail the join, as they should.
BUILTIN_MODULES = ("kubernetes", "events", "pods", "logs", "nodes", "dra", "kserve", "prometheus", "gpu_fit")

Status = Literal["ready", "disabled", "off"]

# ToolContext.extras keys a caller sets to say why a source is missing (e.g. the kubeconfig error)
KUBE_MISSING = "kube_missing_reason"
PROMETHEUS_MISSING = "prometheus_missing_reason"


@dataclass
class ToolsetStatus:
    """Whether a toolset's tools are offered to an investigation, and why not."""

    name: str
    enabled: bool  # what the settings say
    status: Status  # ready | disabled (by settings) | off (a prerequisite is missing)
    reason: str
    tools: list[str]  # the usable tool names when ready, else the tools it would offer
    description: str = ""
    requires: str = "none"
    disabled_tools: list[str] = field(default_factory=list)


@dataclass
class Catalog:
    toolsets: dict[str, ToolsetSpec]
    implementations: dict[str, Tool[Any]]


class _SettingsOverride(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = None
    description: str | None = None
    tools: dict[str, ToolOverlay] = Field(default_factory=dict)


def load_catalog(settings: Settings, builtin_dir: Path = BUILTIN_DIR,
                 modules: tuple[str, ...] = BUILTIN_MODULES) -> Catalog:
    """Read the built-in YAML, join it to the implementations, then apply toolset_dirs and settings.toolsets."""
    toolsets = _builtin_specs(builtin_dir)
    implementations = load_implementations(modules)
    _join(toolsets, implementations)
    for directory in settings.toolset_dirs:
        for overlay in load_dir(Path(directory).expanduser(), ToolsetOverlay):
            _apply(toolsets, overlay.name, overlay.enabled, overlay.description, overlay.tools, overlay.source)
    for name, raw in settings.toolsets.items():
        where = f"settings toolsets.{name}"
        try:
            override = _SettingsOverride.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            key = ".".join(str(p) for p in first["loc"])
            raise UserError(f"{where}.{key}: {first['msg']}") from None
        _apply(toolsets, name, override.enabled, override.description, override.tools, where)
    return Catalog(toolsets, implementations)


def _builtin_specs(directory: Path) -> dict[str, ToolsetSpec]:
    toolsets: dict[str, ToolsetSpec] = {}
    for spec in load_dir(directory, ToolsetSpec):
        if spec.name in toolsets:
            raise UserError(f"{spec.source}: toolset {spec.name!r} is already defined in {toolsets[spec.name].source}")
        toolsets[spec.name] = spec
    return toolsets


def load_implementations(modules: tuple[str, ...]) -> dict[str, Tool[Any]]:
    """Every Tool of the allowlisted modules, by name."""
    found: dict[str, Tool[Any]] = {}
    for short in modules:
        name = f"holmes.toolsets.{short}"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        tools = getattr(module, "TOOLS", None)
        if not isinstance(tools, list):
            raise UserError(f"{name}: a toolset module must expose TOOLS: list[Tool]")
        for tool in tools:
            if tool.name in found:
                raise UserError(f"{name}: tool {tool.name!r} is also implemented elsewhere")
            found[tool.name] = tool
    return found


def _join(toolsets: dict[str, ToolsetSpec], implementations: dict[str, Tool[Any]]) -> None:
    """Every YAML tool has exactly one implementation and every implementation is described once."""
    described: dict[str, str] = {}
    for spec in toolsets.values():
        for tool_name in spec.tools:
            if tool_name in described:
                raise UserError(f"{spec.source}: tool {tool_name!r} is also described in {described[tool_name]}")
            described[tool_name] = spec.source
            if tool_name not in implementations:
                raise UserError(f"{spec.source}: field 'tools.{tool_name}': no implementation of this tool "
                                f"in holmes.toolsets ({', '.join(BUILTIN_MODULES)})")
    missing = sorted(set(implementations) - set(described))
    if missing:
        raise UserError(f"tools implemented but described in no toolsets/*.yaml file: {', '.join(missing)}")


def _apply(toolsets: dict[str, ToolsetSpec], name: str, enabled: bool | None, description: str | None,
           tools: dict[str, ToolOverlay], where: str) -> None:
    """Change a toolset's switch and descriptions; adding toolsets or tools needs Python, so it is an error."""
    spec = toolsets.get(name)
    if spec is None:
        raise UserError(f"{where}: unknown toolset {name!r}; known toolsets: {', '.join(sorted(toolsets))}")
    if enabled is not None:
        spec.enabled = enabled
    if description:
        spec.description = description
    for tool_name, overlay in tools.items():
        tool = spec.tools.get(tool_name)
        if tool is None:
            raise UserError(f"{where}: toolset {name!r} has no tool {tool_name!r}; "
                            f"its tools: {', '.join(sorted(spec.tools))}")
        if overlay.enabled is not None:
            tool.enabled = overlay.enabled
        if overlay.description:
            tool.description = overlay.description


def toolset_statuses(settings: Settings, ctx: ToolContext, catalog: Catalog | None = None) -> list[ToolsetStatus]:
    """Each toolset with its state: ready, disabled by settings, or off because a prerequisite is missing."""
    catalog = catalog or load_catalog(settings)
    probe = _Prerequisites(ctx)
    statuses = []
    for spec in sorted(catalog.toolsets.values(), key=lambda s: s.name):
        usable = [t for t, s in spec.tools.items() if s.enabled]
        switched_off = sorted(t for t, s in spec.tools.items() if not s.enabled)
        if not spec.enabled:
            status: Status = "disabled"
            reason = "disabled in settings"
        else:
            missing = probe.missing(spec)
            status, reason = ("off", missing) if missing else ("ready", "")
            if status == "ready" and not usable:
                status, reason = "disabled", "every tool is disabled in settings"
        statuses.append(ToolsetStatus(name=spec.name, enabled=spec.enabled, status=status, reason=reason,
                                      tools=sorted(usable), description=spec.description.strip(),
                                      requires=spec.requires, disabled_tools=switched_off))
    return statuses


def build_registry(settings: Settings, ctx: ToolContext, catalog: Catalog | None = None) -> ToolRegistry:
    """The usable tools only, with descriptions from YAML and the configured timeout."""
    catalog = catalog or load_catalog(settings)
    registry = ToolRegistry()
    for status in toolset_statuses(settings, ctx, catalog):
        if status.status != "ready":
            continue
        spec = catalog.toolsets[status.name]
        for tool_name in status.tools:
            tool = catalog.implementations[tool_name]
            registry.add(dataclasses.replace(tool, description=spec.tools[tool_name].description.strip(),
                                             toolset=spec.name, timeout_s=settings.tool_timeout_s))
    return registry


class _Prerequisites:
    """Checks what a toolset needs, asking the API at most once per question."""

    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx
        self._kube_problem: str | None = None
        self._kube_checked = False

    def missing(self, spec: ToolsetSpec) -> str:
        """Why the toolset cannot work here, or '' when it can."""
        if spec.requires == "kubernetes":
            return self._kube() or self._groups(spec.api_groups)
        if spec.requires == "prometheus":
            return self._prometheus()
        return ""

    def _kube(self) -> str:
        if not self._kube_checked:
            self._kube_checked = True
            if self.ctx.kube is None:
                self._kube_problem = self.ctx.extras.get(KUBE_MISSING) or "no Kubernetes API configured"
            else:
                try:
                    self.ctx.kube.server_version()
                except KubeError as exc:
                    self._kube_problem = f"Kubernetes API unreachable: {exc}"
        return self._kube_problem or ""

    def _groups(self, groups: list[str]) -> str:
        assert self.ctx.kube is not None
        for group in groups:
            try:
                if not self.ctx.kube.versions(group):
                    return f"the API does not serve {group}"
            except KubeError as exc:
                return f"cannot discover {group}: {exc}"
        return ""

    def _prometheus(self) -> str:
        if self.ctx.prometheus is None:
            return str(self.ctx.extras.get(PROMETHEUS_MISSING) or "no Prometheus URL configured")
        check = getattr(self.ctx.prometheus, "check", None)
        if callable(check):
            try:
                check()
            except Exception as exc:  # any failure of the probe means the toolset cannot work
                return f"Prometheus unreachable: {exc}"
        return ""
