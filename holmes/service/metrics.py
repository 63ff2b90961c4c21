"""The service's Prometheus metrics, on a registry of its own (one per app, so tests can run several)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from holmes.domain import Diagnosis

DURATION_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
# how the runbook engine names a failed tool call among a diagnosis' gaps: "TOOL(PARAMS) failed [CALL_ID]: ERROR"
FAILED_TOOL_GAP = re.compile(r"^(?P<tool>[a-z][a-z0-9_]*)\(.*\) failed \[[^\]]+\]: ")


class _StatusCounts(Collector):
    """Current investigations per status, read from the store at scrape time (right across replicas)."""

    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        self._counts = counts

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily("holmes_investigations", "Investigations in the store by status.",
                                   labels=["status"])
        try:
            counts = self._counts()
        except Exception:  # a scrape must not fail because the store blinked; readyz reports that
            counts = {}
        for status, count in counts.items():
            family.add_metric([status], count)
        yield family


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.alerts_received = Counter("holmes_alerts_received", "Alerts received from Alertmanager.",
                                       ["status"], registry=r)
        self.alerts_deduplicated = Counter("holmes_alerts_deduplicated",
                                           "Firing alerts re-sent for an episode already under investigation.",
                                           registry=r)
        self.investigations_finished = Counter("holmes_investigations_finished",
                                               "Investigations that reached a final status.", ["status"], registry=r)
        self.investigations_degraded = Counter("holmes_investigations_degraded",
                                               "Completed investigations answered without the model.", registry=r)
        self.duration = Histogram("holmes_investigation_duration_seconds", "Wall time of one investigation attempt.",
                                  ["status"], buckets=DURATION_BUCKETS, registry=r)
        self.tool_errors = Counter("holmes_tool_errors", "Tool calls that failed in investigations.", ["tool"],
                                   registry=r)
        self.gaps = Counter("holmes_investigation_gaps", "Data completed investigations could not get (named gaps).",
                            registry=r)
        self.model_tokens = Counter("holmes_model_tokens", "Model tokens used by investigations.", ["direction"],
                                    registry=r)
        self.model_cost = Counter("holmes_model_cost", "Model cost of investigations (configured price units).",
                                  registry=r)
        self.route_errors = Counter("holmes_route_errors", "Results that a route failed to deliver.", ["route"],
                                    registry=r)

    def watch_store(self, counts: Callable[[], dict[str, int]]) -> None:
        self.registry.register(_StatusCounts(counts))

    def finished(self, status: str, seconds: float, diagnosis: Diagnosis | None = None) -> None:
        self.investigations_finished.labels(status).inc()
        self.duration.labels(status).observe(seconds)
        if diagnosis is None:
            return
        if diagnosis.degraded:
            self.investigations_degraded.inc()
        self.gaps.inc(len(diagnosis.gaps))
        for gap in diagnosis.gaps:
            failed = FAILED_TOOL_GAP.match(gap)
            if failed:
                self.tool_errors.labels(failed.group("tool")).inc()
        self.model_tokens.labels("input").inc(diagnosis.usage.input_tokens)
        self.model_tokens.labels("output").inc(diagnosis.usage.output_tokens)
        self.model_cost.inc(diagnosis.usage.cost)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
