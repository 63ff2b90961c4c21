"""How Kubernetes-backed tools reach the API: a configured reader, and API failures as tool errors."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from holmes.sources.kube import KubeError, KubeReader
from holmes.toolsets.base import ToolContext, ToolError, ToolOutput

F = TypeVar("F", bound=Callable[..., ToolOutput])


def kube(ctx: ToolContext) -> KubeReader:
    """The context's reader; a tool without one reports it instead of failing obscurely."""
    if ctx.kube is None:
        raise ToolError("no Kubernetes API configured")
    return ctx.kube


def reads_kube(fn: F) -> F:
    """Turn KubeError (unreachable, forbidden, unknown kind, Secrets) into a one-line tool error."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> ToolOutput:
        try:
            return fn(*args, **kwargs)
        except KubeError as exc:
            raise ToolError(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def not_found(what: str) -> ToolOutput:
    """A missing object is an answer, not a failure."""
    return ToolOutput(text=f"{what} not found", data=None, status="no_data")


def list_all(reader: KubeReader, kind: str, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None, page_size: int = 500, max_items: int = 5000) -> list[dict[str, Any]]:
    """Every object of a (narrowed) list, following continue tokens up to `max_items`."""
    items: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = reader.list(kind, namespace=namespace, label_selector=label_selector,
                           field_selector=field_selector, limit=page_size, continue_token=token)
        items.extend(page.items)
        token = page.continue_token
        if not token or len(items) >= max_items:
            return items


def meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def ref(obj: dict[str, Any]) -> str:
    """namespace/name, or name for cluster-scoped objects."""
    m = meta(obj)
    return f"{m['namespace']}/{m.get('name', '')}" if m.get("namespace") else str(m.get("name", ""))
