"""What a finished investigation adds to the service metrics."""

from __future__ import annotations

from holmes.domain import Diagnosis, Usage
from holmes.service.metrics import ServiceMetrics


def test_finished_investigation_counts_tokens_cost_gaps_and_failed_tools() -> None:
    metrics = ServiceMetrics()
    diagnosis = Diagnosis(degraded=True, usage=Usage(input_tokens=1200, output_tokens=80, cost=0.25), gaps=[
        "kubernetes_logs(namespace=llm, pod=vllm-0, previous=True) failed [t4]: container has no previous log",
        "gpu_memory_fit(namespace=llm, pod=vllm-0) failed [t7]: cannot reach the Kubernetes API",
        "tool dra_slices is not available (its data source is not configured or the toolset is disabled)",
    ])
    metrics.finished("completed", 2.0, diagnosis)
    text = metrics.exposition().decode()
    assert 'holmes_tool_errors_total{tool="kubernetes_logs"} 1.0' in text
    assert 'holmes_tool_errors_total{tool="gpu_memory_fit"} 1.0' in text
    assert "holmes_investigation_gaps_total 3.0" in text
    assert 'holmes_model_tokens_total{direction="input"} 1200.0' in text
    assert 'holmes_model_tokens_total{direction="output"} 80.0' in text
    assert "holmes_model_cost_total 0.25" in text
    assert "holmes_investigations_degraded_total 1.0" in text
    assert 'holmes_investigation_duration_seconds_bucket{le="2.5",status="completed"} 1.0' in text


def test_failed_investigation_counts_only_its_duration() -> None:
    metrics = ServiceMetrics()
    metrics.finished("failed", 0.3)
    text = metrics.exposition().decode()
    assert 'holmes_investigations_finished_total{status="failed"} 1.0' in text
    assert "holmes_investigation_gaps_total 0.0" in text
