"""Selector parsing: the grammar kubectl and client-go send, and matching semantics."""

from __future__ import annotations

import pytest

from holmes.replay.selectors import parse_field_selector, parse_label_selector
from holmes.replay.status import ApiError


def test_label_selector_with_sets_inside_commas_parses_into_requirements() -> None:
    requirements = parse_label_selector("app=vllm,env in (prod, staging),!spot,gpu")
    assert [(r.key, r.op, r.values) for r in requirements] == [
        ("app", "in", ("vllm",)), ("env", "in", ("prod", "staging")), ("spot", "!exists", ()), ("gpu", "exists", ())]


def test_not_equal_and_notin_match_objects_missing_the_label() -> None:
    (not_equal,) = parse_label_selector("tier!=cache")
    (notin,) = parse_label_selector("tier notin (cache)")
    assert not_equal.matches({}) and notin.matches({})
    assert not not_equal.matches({"tier": "cache"}) and not notin.matches({"tier": "cache"})


def test_prefixed_label_keys_are_accepted() -> None:
    (requirement,) = parse_label_selector("nvidia.com/gpu.present=true")
    assert requirement.matches({"nvidia.com/gpu.present": "true"})


def test_greater_than_compares_integers() -> None:
    (requirement,) = parse_label_selector("replicas>2")
    assert requirement.matches({"replicas": "3"}) and not requirement.matches({"replicas": "2"})


@pytest.mark.parametrize("text", ["app in (a", "=x", "app=a=b", "a b", "app>x"])
def test_malformed_label_selectors_raise_400(text: str) -> None:
    with pytest.raises(ApiError) as raised:
        parse_label_selector(text)
    assert raised.value.code == 400


def test_field_selector_unescapes_commas_and_equals_in_values() -> None:
    requirements = parse_field_selector(r"metadata.name=a\,b,reason!=x\=y")
    assert [(r.field, r.value, r.equal) for r in requirements] == [("metadata.name", "a,b", True),
                                                                   ("reason", "x=y", False)]


def test_empty_selectors_select_everything() -> None:
    assert parse_label_selector("") == [] and parse_field_selector("") == []
