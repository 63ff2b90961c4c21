"""The event-built YAML reader gives exactly what the safe loader gives, and hands off what it does not do."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml

from holmes.bundle import fastyaml
from holmes.bundle.documents import read_documents

pytestmark = pytest.mark.skipif(not fastyaml.AVAILABLE, reason="PyYAML built without libyaml")


class _SafeKeepingTimestamps(yaml.SafeLoader):
    pass


_SafeKeepingTimestamps.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def safe(text: str) -> list[object]:
    return list(yaml.load_all(text, Loader=_SafeKeepingTimestamps))


def fast(text: str) -> list[object]:
    return list(fastyaml.load_all(io.BytesIO(text.encode())))


@pytest.mark.parametrize("text", [
    "a: 1\nb: '1'\nc: \"x\"\nd: yes\ne: ~\nf: 0x1F\ng: 1e3\nh: .inf\nj: 012\nk: 1_000\nl: -3\nm: 0.5\nn: null\n",
    "created: 2025-03-14T10:00:00Z\nquoted: \"2025-03-14T10:00:00Z\"\ndate: 2025-03-14\n",
    "---\n---\na: [1, 2, {b: c}]\n---\nplain\n...\n",
    "k: |\n  line1\n  line2\nm: >\n  folded\n  text\n",
    "null: 1\n~: 2\ntrue: 3\n1: 4\n",
    "- a\n- - b\n  - c\n- {}\n- []\n- ''\n-\n",
    "shared: &id001\n  key: value\nagain: *id001\nlist: &l [1, 2]\nsame: *l\nword: &w hi\necho: *w\n",
    "message: '0/2 nodes are available: 1 node(s) had untolerated taint {nvidia.com/gpu: present}.'\n",
    "",
])
def test_same_documents_as_the_safe_loader(text: str) -> None:
    assert fast(text) == safe(text)


@pytest.mark.parametrize("text", ["? [a, b]\n: c\n", "a: !!str 1\n", "<<: {a: 1}\n", "a: *undefined\n",
                                  "a: &k {x: 1}\n*k : 2\n"])
def test_features_it_leaves_to_the_full_loader_raise_unsupported(text: str) -> None:
    with pytest.raises(fastyaml.Unsupported):
        fast(text)


def test_reading_falls_back_after_the_documents_already_read(tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_text("a: 1\n---\n---\nb: !!str 2\n---\nbase: &b {x: 1}\nmerged:\n  <<: *b\n  y: 2\n")
    assert list(read_documents(path, "mixed.yaml")) == [
        (1, {"a": 1}), (3, {"b": "2"}), (4, {"base": {"x": 1}, "merged": {"x": 1, "y": 2}})]


INCIDENTS = Path(__file__).resolve().parents[2] / "evals" / "incidents"


@pytest.mark.parametrize("bundle_dir", sorted(p for p in INCIDENTS.glob("*") if p.is_dir()), ids=lambda p: p.name)
def test_recorded_bundle_files_read_the_same(bundle_dir: Path) -> None:
    for path in [bundle_dir / "incident.yaml", *sorted(bundle_dir.glob("cluster/*.yaml"))]:
        assert fast(path.read_text()) == safe(path.read_text()), path.name
