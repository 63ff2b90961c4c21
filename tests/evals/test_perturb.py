"""Variants of recorded incidents (renamed, noise, shuffled, shifted) must keep their diagnosis."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from holmes.config import Settings
from holmes.evals.perturb import VARIANTS, perturb
from holmes.evals.runner import run_incident
from holmes.paths import builtin_incidents

BUNDLES = sorted(p for p in builtin_incidents().iterdir() if (p / "incident.yaml").exists())
SAMPLE = BUNDLES[::5]  # a spread of areas; the runbook tests cover noise and shuffling for all of them


@pytest.mark.parametrize("bundle", SAMPLE, ids=lambda p: p.name)
def test_every_variant_keeps_the_expected_root_cause(bundle: Path, tmp_path: Path):
    for variant in perturb(bundle, tmp_path, VARIANTS):
        run = run_incident(variant, Settings(), use_llm=False)
        assert run.verdict == "pass", f"{variant.name}: {run.root_cause or run.error} != {run.expected_root_cause}"


def test_renamed_variant_really_renames_the_subject_and_its_objects(tmp_path: Path):
    bundle = next(b for b in BUNDLES if "subject" in (yaml.safe_load((b / "incident.yaml").read_text())["trigger"]))
    original = yaml.safe_load((bundle / "incident.yaml").read_text())["trigger"]["subject"]
    (renamed,) = perturb(bundle, tmp_path, ("renamed",))
    subject = yaml.safe_load((renamed / "incident.yaml").read_text())["trigger"]["subject"]
    assert subject != original and subject.split()[0] == original.split()[0]
    from holmes.bundle.loader import load_bundle

    names = {o["metadata"]["name"] for o in load_bundle(renamed).objects}
    assert subject.split("/")[-1] in names and original.split("/")[-1] not in names


def test_shifted_variant_moves_the_capture_time_but_keeps_unset_times(tmp_path: Path):
    bundle = BUNDLES[0]
    (shifted,) = perturb(bundle, tmp_path, ("shifted",))
    before = yaml.safe_load((bundle / "incident.yaml").read_text())["captured_at"]
    after = yaml.safe_load((shifted / "incident.yaml").read_text())["captured_at"]
    assert str(before) != str(after)
    text = "endsAt: 0001-01-01T00:00:00Z\n"
    (shifted / "cluster" / "zero.yaml").write_text(text)
    from holmes.evals import perturb as module

    module._shift(shifted, __import__("random").Random(1))
    assert (shifted / "cluster" / "zero.yaml").read_text() == text


def test_perturb_refuses_a_directory_that_is_not_a_bundle(tmp_path: Path):
    from holmes.errors import UserError

    with pytest.raises(UserError, match="not a bundle"):
        perturb(tmp_path, tmp_path / "out")
