"""subject_in_question: the subject a question names, for the CLI's `ask` and the Slack app."""

from holmes.domain import Subject
from holmes.questions import subject_in_question


def test_namespaced_name_defaults_to_a_pod() -> None:
    assert subject_in_question("why is llm/vllm-0 pending?") == Subject(kind="pod", namespace="llm", name="vllm-0")


def test_named_kind_and_alias_are_kept() -> None:
    assert subject_in_question("is isvc serving/qwen ready") == Subject(kind="inferenceservice", namespace="serving",
                                                                          name="qwen")
    assert subject_in_question("check deployment llm/router") == Subject(kind="deployment", namespace="llm",
                                                                         name="router")


def test_question_without_a_subject_gives_none() -> None:
    assert subject_in_question("why are my GPUs idle?") is None
