"""Find the pod a question is about when the trigger names no subject ("the X pod in namespace Y is Pending")."""

from __future__ import annotations

import re
from typing import Any

from holmes.domain import Subject, ToolCall, ToolResult
from holmes.toolsets.base import ToolContext, ToolRegistry, new_call_id

_TOKEN = re.compile(r"[a-z0-9][a-z0-9.-]*[a-z0-9](?:/[a-z0-9][a-z0-9.-]*[a-z0-9])?")
_NAMESPACE_HINT = re.compile(r"\b(?:namespace|ns|in)\s+([a-z0-9][a-z0-9-]*[a-z0-9])\b")
_KIND_WORDS = {"deployment": "deployment", "statefulset": "statefulset", "daemonset": "daemonset",
               "inferenceservice": "inferenceservice", "isvc": "inferenceservice", "job": "job"}
_KIND_MENTION = re.compile(r"\b(" + "|".join(_KIND_WORDS) + r")\s+([a-z0-9][a-z0-9.-]*[a-z0-9])\b")
_STOPWORDS = {"in", "on", "of", "is", "was", "has", "the", "that", "and", "for", "with", "from", "keeps", "never"}
_GENERIC = {"pod", "pods", "node", "nodes", "the", "and", "why", "what", "with", "from", "vllm", "model", "models",
            "gpu", "gpus", "deployment", "namespace", "pending", "running", "restart", "restarts", "starts",
            "does", "doesn", "keeps", "stuck", "since", "after", "before", "about", "there", "this", "that", "these",
            "those", "have", "been", "were", "when", "where", "which", "while", "still", "never", "again", "always",
            "because", "should", "would", "could", "into", "just", "only", "some", "every", "other", "same",
            "crash", "crashes", "crashing", "crashloop", "failing", "fails", "failed", "broken", "working",
            "healthy", "ready", "serving", "start", "started", "starting", "scheduling", "schedule", "scheduled",
            "memory", "cuda", "error", "errors", "minutes", "hours", "today", "yesterday", "morning", "cluster",
            "container", "containers", "image", "going", "wrong", "happening", "anything", "something", "getting",
            "comes", "come", "free", "work", "works", "show", "shows", "says", "said", "team", "down"}
# words in a question that say which kind of trouble the pod is in
_SYMPTOMS = (("pending", ("pending", "schedul", "unschedulable")),
             ("crash", ("crash", "restart", "oom", "killed", "backoff")),
             ("evicted", ("evict",)))


def subject_from_question(question: str, registry: ToolRegistry,
                          ctx: ToolContext) -> tuple[Subject | None, list[ToolResult]]:
    """The pod whose name best matches the question's name-like words, within a namespace it mentions."""
    if registry.get("kubernetes_list") is None:
        return None, []
    text = question.lower()
    results = _run(registry, ctx, {"kind": "namespace"})
    namespaces = {_name(item) for item in _items(results[-1])}
    namespace = _mentioned_namespace(text, namespaces)
    for named in _named_workloads(text, namespace):
        results += registry.run_many(ctx, [ToolCall(id=new_call_id(), tool="kubernetes_get", params={
            "kind": named.kind, "name": named.name, "namespace": named.namespace})])
        if results[-1].status == "ok":
            return named, results
    params: dict[str, Any] = {"kind": "pod", "limit": 500}
    if namespace:
        params["namespace"] = namespace
    results += _run(registry, ctx, params)
    pods = _items(results[-1])
    words = [w for w in _TOKEN.findall(text) if _name_like(w) and w not in namespaces]
    chosen = _best_pod(pods, words, _symptom(text))
    if chosen is None:
        return None, results
    return Subject(kind="pod", namespace=(chosen.get("metadata") or {}).get("namespace"), name=_name(chosen)), results


def _named_workloads(text: str, namespace: str | None) -> list[Subject]:
    """'the StatefulSet gpu-test in namespace dra-test': a kind word followed by a name, in a known namespace."""
    if namespace is None:
        return []
    return [Subject(kind=_KIND_WORDS[kind_word], namespace=namespace, name=name)
            for kind_word, name in _KIND_MENTION.findall(text) if name not in _STOPWORDS and name != namespace]


def _run(registry: ToolRegistry, ctx: ToolContext, params: dict[str, Any]) -> list[ToolResult]:
    return registry.run_many(ctx, [ToolCall(id=new_call_id(), tool="kubernetes_list", params=params)])


def _items(result: ToolResult) -> list[dict[str, Any]]:
    if result.status == "ok" and isinstance(result.data, dict):
        return [item for item in result.data.get("items", []) if isinstance(item, dict)]
    return []


def _name(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def _mentioned_namespace(text: str, namespaces: set[str]) -> str | None:
    hinted = [m for m in _NAMESPACE_HINT.findall(text) if m in namespaces]
    if hinted:
        return hinted[0]
    named = [w for w in _TOKEN.findall(text) if w in namespaces and w != "default"]
    return named[0] if named else None


def _name_like(word: str) -> bool:
    """Words that may be (part of) object names: 'codellama-vllm', 'llama3', 'kvcache'; not 'the' or 'pending'."""
    return len(word) >= 4 and word not in _GENERIC


def _symptom(text: str) -> str | None:
    for symptom, stems in _SYMPTOMS:
        if any(stem in text for stem in stems):
            return symptom
    return None


def _shows(pod: dict[str, Any], symptom: str | None) -> bool:
    status = pod.get("status") or {}
    if symptom == "pending":
        return status.get("phase") == "Pending" and not status.get("containerStatuses")
    if symptom == "evicted":
        return status.get("reason") == "Evicted"
    if symptom == "crash":
        statuses = (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])
        return any(int(s.get("restartCount", 0)) > 0 or (s.get("lastState") or {}).get("terminated")
                   for s in statuses if isinstance(s, dict))
    return False


def _best_pod(pods: list[dict[str, Any]], words: list[str], symptom: str | None = None) -> dict[str, Any] | None:
    """The pod the question names best; among equals the one showing the trouble the question describes."""
    def score(pod: dict[str, Any]) -> tuple[int, int, int]:
        name = _name(pod)
        matched = max((len(w) for w in words if w in name), default=0)
        return matched, int(_shows(pod, symptom)), _trouble(pod)

    ranked = sorted(pods, key=score, reverse=True)
    if not ranked:
        return None
    best = ranked[0]
    matched, shows, trouble = score(best)
    return best if matched or shows or trouble else None


def _trouble(pod: dict[str, Any]) -> int:
    status = pod.get("status") or {}
    statuses = (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])
    broken = status.get("phase") not in {"Running", "Succeeded"}
    not_ready = any(not s.get("ready") for s in status.get("containerStatuses") or [])
    restarts = sum(int(s.get("restartCount", 0)) for s in statuses)
    return 2 * int(broken) + int(not_ready) + min(restarts, 5)
