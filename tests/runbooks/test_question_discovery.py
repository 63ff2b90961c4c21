"""Which pod a plain question is about, when it names no ns/name."""

from __future__ import annotations

from typing import Any

from holmes.runbooks.discovery import _best_pod, _name_like, _symptom


def _pod(name: str, phase: str, restarts: int = 0) -> dict[str, Any]:
    statuses = [] if phase == "Pending" else [{"name": "c", "ready": False, "restartCount": restarts,
                                               "lastState": {"terminated": {"exitCode": 1}} if restarts else {}}]
    return {"metadata": {"name": name, "namespace": "ns"}, "status": {"phase": phase, "containerStatuses": statuses}}


PODS = [_pod("coder-7b-instruct-5d8f-abcde", "Running", restarts=12), _pod("coder-7b-kvcache-79d5-h8tnm", "Pending")]


def test_a_plain_word_in_the_question_picks_the_pod_named_by_it():
    assert _name_like("kvcache") and not _name_like("pending") and not _name_like("crashing")
    chosen = _best_pod(PODS, ["kvcache"], _symptom("why is the kvcache pod pending?"))
    assert chosen is not None and chosen["metadata"]["name"].startswith("coder-7b-kvcache")


def test_the_symptom_named_breaks_ties_between_pods_the_words_match_equally():
    assert _best_pod(PODS, ["coder"], _symptom("why is the coder pod pending?"))["status"]["phase"] == "Pending"
    crashing = _best_pod(PODS, ["coder"], _symptom("why does the coder pod keep restarting?"))
    assert crashing["status"]["phase"] == "Running"


def test_no_match_and_no_trouble_names_no_pod():
    healthy = [{"metadata": {"name": "web-1"}, "status": {"phase": "Running",
                                                        "containerStatuses": [{"ready": True, "restartCount": 0}]}}]
    assert _best_pod(healthy, ["llama"], None) is None
