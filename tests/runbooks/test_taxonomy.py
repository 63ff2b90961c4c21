"""The root-cause taxonomy: every id the team brief names, each explained, and a clear error for a bad file."""

from __future__ import annotations

import pytest

from holmes.errors import UserError
from holmes.runbooks.library import load_library
from holmes.runbooks.taxonomy import load_taxonomy, parse_taxonomy

BRIEF_IDS = (
    "scheduling.gpu_taint_untolerated", "scheduling.gpu_capacity_unavailable", "scheduling.mig_profile_mismatch",
    "scheduling.insufficient_gpu", "scheduling.node_selector_mismatch", "gpu.timeslicing_oversubscribed",
    "gpu.xid_unhealthy", "gpu.ecc_uncorrectable", "gpu.device_plugin_unavailable", "runtime.driver_cuda_mismatch",
    "runtime.gpu_not_injected", "runtime.nccl_shm_too_small", "runtime.image_pull_failed",
    "runtime.container_oomkilled", "quota.priorityclass_quota_missing", "quota.exceeded", "dra.deviceclass_missing",
    "dra.slice_no_devices", "dra.scheduler_not_requeued", "dra.score_plugin_error",
    "dra.mixed_mig_and_full_gpu_devices", "dra.claim_spec_invalid", "dra.no_matching_device", "dra.prepare_failed",
    "metrics.dcgm_dra_attribution_missing", "model.kv_cache_no_memory", "model.max_model_len_exceeds_kv_cache",
    "model.gpu_oom", "model.gpu_memory_held_by_other_process", "model.hf_gated_repo_forbidden",
    "model.hf_token_missing", "probe.startup_probe_kills_slow_load", "storage.emptydir_limit_evicted",
    "storage.pvc_pending", "serving.cr_ready_pod_failing", "ray.placement_group_unsatisfiable",
    "perf.kv_cache_saturated", "perf.cpu_throttled_gpu_idle", "unknown",
)


def test_every_id_of_the_brief_is_defined_with_an_explanation_and_remediation() -> None:
    taxonomy = load_taxonomy()
    for cause_id in BRIEF_IDS:
        cause = taxonomy.get(cause_id)
        assert cause is not None, cause_id
        assert len(cause.explanation) > 120 and cause.remediation and cause.title, cause_id


def test_every_root_cause_but_unknown_has_a_runbook_check() -> None:
    named = {check.root_cause for runbook in load_library() for check in runbook.checks}
    assert set(load_taxonomy().ids()) - named == {"unknown"}


def test_a_taxonomy_entry_with_a_missing_field_names_the_id() -> None:
    text = "unknown: {title: t, area: general, explanation: e}\nx.y: {title: t, area: a}\n"
    with pytest.raises(UserError, match=r"^tax\.yaml: x\.y: explanation: Field required"):
        parse_taxonomy(text, "tax.yaml")


def test_invalid_taxonomy_yaml_names_the_line() -> None:
    with pytest.raises(UserError, match=r"^tax\.yaml:2: invalid YAML"):
        parse_taxonomy("unknown: {title: t, area: general, explanation: e}\nx: y: z\nw: v\n", "tax.yaml")
