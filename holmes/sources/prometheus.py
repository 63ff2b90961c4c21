"""Read-only access to a Prometheus HTTP API through prometheus-api-client.

Every answer is bounded: a query first asks Prometheus how many series it would return; when that is
more than the caller can hold, Prometheus itself picks the top series, so a 100,000-series result
never reaches this process. Failures become one-line exceptions:
`PrometheusQueryError` carries Prometheus's own message (a PromQL syntax error), `PrometheusUnavailable`
means the server could not be asked (a gap in a diagnosis, not a crash).
"""

from __future__ import annotations

import ast
import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import requests
from prometheus_api_client import PrometheusConnect
from prometheus_api_client.exceptions import PrometheusApiClientException
from urllib3.util.retry import Retry

if TYPE_CHECKING:
    from holmes.config import PrometheusSettings


class PrometheusError(Exception):
    """Prometheus could not answer; the message is one line."""


class PrometheusQueryError(PrometheusError):
    """Prometheus refused the request (bad PromQL, bad parameters); the message is Prometheus's own."""


class PrometheusUnavailable(PrometheusError):
    """Prometheus did not answer (unreachable, timed out, 5xx, auth refused)."""


@dataclass
class Series:
    """One time series: its labels and its (unix seconds, value) points; an instant value has one point."""

    labels: dict[str, str]
    points: list[tuple[float, float]]


@dataclass
class QueryResult:
    """A bounded query answer. `total` counts every series Prometheus had; `series` holds at most the limit."""

    result_type: str  # vector | matrix | scalar | string
    series: list[Series]
    total: int
    ranked_by_server: bool = False  # True when Prometheus chose the series (topk), because there were too many

    @property
    def cut(self) -> bool:
        return self.total > len(self.series)


COUNT_INSTANTS = 12  # instants of a range at which its series are counted before fetching it
_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_ERROR_RE = re.compile(r"^HTTP Status Code (\d+) \((b['\"].*['\"])\)$", re.S)


def _client_error(exc: PrometheusApiClientException, what: str) -> PrometheusError:
    """Turn prometheus-api-client's 'HTTP Status Code 400 (b'{...}')' into Prometheus's one-line message."""
    text = str(exc)
    match = _ERROR_RE.match(text)
    status, message = 0, text
    if match:
        status = int(match.group(1))
        try:
            body = ast.literal_eval(match.group(2))
            doc = json.loads(body)
            message = str(doc.get("error") or doc)
        except (ValueError, SyntaxError, AttributeError):
            message = match.group(2)[:200]
    message = " ".join(message.split())[:300]
    if status in (400, 422):
        return PrometheusQueryError(f"{what}: {message}")
    return PrometheusUnavailable(f"{what}: HTTP {status or '?'} {message}")


def _transport_error(exc: Exception, url: str, timeout_s: float) -> PrometheusUnavailable:
    if isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower():
        return PrometheusUnavailable(f"Prometheus at {url} did not answer within {timeout_s:g}s")
    reason = type(exc).__name__
    if isinstance(exc, requests.exceptions.RetryError):
        reason = "it kept answering with server errors (5xx)"
    elif isinstance(exc, requests.ConnectionError):
        reason = "connection refused or unreachable"
    return PrometheusUnavailable(f"cannot reach Prometheus at {url} ({reason})")


def _ts(moment: datetime | float) -> float:
    return moment.timestamp() if isinstance(moment, datetime) else float(moment)


def _number(text: Any) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def _parse_series(items: list[dict[str, Any]]) -> list[Series]:
    parsed = []
    for item in items:
        raw = item.get("values") or ([item["value"]] if "value" in item else [])
        parsed.append(Series(labels=dict(item.get("metric") or {}),
                             points=[(float(t), _number(v)) for t, v in raw]))
    return parsed


class PrometheusReader:
    """GET-only Prometheus client with auth, TLS options, a timeout, and bounded answers."""

    def __init__(self, url: str, *, bearer_token: str | None = None, username: str | None = None,
                 password: str | None = None, verify_tls: bool = True, ca_file: str | None = None,
                 timeout_s: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        session = requests.Session()
        session.verify = ca_file if (verify_tls and ca_file) else verify_tls
        headers = {"Authorization": f"Bearer {bearer_token}"} if bearer_token else None
        auth = (username, password or "") if username else None
        # one retry on a refused connection or a 502/503/504; never retry a read that timed out
        retry = Retry(total=1, connect=1, read=0, status=1, backoff_factor=0.1,
                      status_forcelist=[502, 503, 504], allowed_methods=["GET", "POST"])
        self._client = PrometheusConnect(url=self.url, headers=headers, auth=auth, session=session, retry=retry,
                                         timeout=timeout_s)  # type: ignore[arg-type]
        self._present: dict[tuple[str, int], set[str]] = {}

    @classmethod
    def from_settings(cls, settings: PrometheusSettings) -> PrometheusReader | None:
        """A reader for the configured URL, or None when no Prometheus is configured."""
        if not settings.url:
            return None
        return cls(settings.url,
                   bearer_token=settings.bearer_token.get_secret_value() if settings.bearer_token else None,
                   username=settings.username,
                   password=settings.password.get_secret_value() if settings.password else None,
                   verify_tls=settings.verify_tls, ca_file=settings.ca_file, timeout_s=settings.timeout_s)

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except PrometheusApiClientException as exc:
            raise _client_error(exc, what) from None
        except (requests.RequestException, OSError) as exc:
            raise _transport_error(exc, self.url, self.timeout_s) from None
        except (ValueError, KeyError) as exc:  # a body that is not Prometheus JSON
            raise PrometheusUnavailable(f"{what}: unexpected answer from {self.url} ({exc})") from None

    def _server_timeout(self) -> dict[str, str]:
        return {"timeout": f"{max(1, int(self.timeout_s))}s"}

    # --- raw answers -------------------------------------------------------------------------
    def instant(self, query: str, time: datetime | float) -> tuple[str, Any]:
        """The raw result of an instant query, with its type."""
        params = {"time": _ts(time), **self._server_timeout()}
        result = self._call("query", self._client.custom_query, query, params=params)
        if isinstance(result, list) and len(result) == 2 and not isinstance(result[0], dict):
            kind = "string" if isinstance(result[1], str) and math.isnan(_number(result[1])) else "scalar"
            return kind, result
        return "vector", result or []

    def _range(self, query: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call(
            "query_range", self._client.custom_query_range, query,
            start_time=datetime.fromtimestamp(start, UTC), end_time=datetime.fromtimestamp(end, UTC),
            step=f"{max(1, math.ceil(step))}s", params=self._server_timeout())
        return result or []

    def _count(self, expr: str, time: float) -> int | None:
        """How many series an instant-vector expression has, or None when it is not one (scalar, bad PromQL)."""
        try:
            kind, rows = self.instant(f"count({expr})", time)
        except PrometheusQueryError:
            return None  # the plain query that follows reports Prometheus's message for the user's own text
        if kind != "vector":
            return None
        return int(_number(rows[0]["value"][1])) if rows else 0

    # --- bounded queries ---------------------------------------------------------------------
    def query(self, query: str, time: datetime | float, limit: int = 20000, keep: int = 50) -> QueryResult:
        """An instant query. Above `limit` series, Prometheus returns only the top `keep` by value."""
        at = _ts(time)
        count = self._count(query, at)
        if count is not None and count > limit:
            _, rows = self.instant(f"topk({keep}, {query})", at)
            return QueryResult("vector", _parse_series(rows), count, ranked_by_server=True)
        kind, rows = self.instant(query, at)
        if kind in ("scalar", "string"):
            return QueryResult(kind, [Series({}, [(float(rows[0]), _number(rows[1]))])], 1)
        series = _parse_series(rows)
        if len(series) > limit:  # a range-vector selector, not covered by the count above
            return QueryResult("matrix", series[:keep], len(series))
        return QueryResult("matrix" if any(len(s.points) > 1 for s in series) else "vector", series, len(series))

    def query_range(self, query: str, start: datetime | float, end: datetime | float, step: float,
                    limit: int = 1000, keep: int = 50) -> QueryResult:
        """A range query. Above `limit` series, only the top `keep` by their value at `end` come back."""
        start_s, end_s = _ts(start), _ts(end)
        span = max(int(end_s - start_s), int(step), 1)
        # counting and ranking look at a dozen instants of the range, not every step: a bound, cheap to evaluate
        coarse = f"[{span}s:{max(int(step), math.ceil(span / COUNT_INSTANTS))}s]"
        count = self._count(f"last_over_time(({query}){coarse})", end_s)
        if count is not None and count > limit:
            ranked = f"({query}) and topk({keep}, last_over_time(({query}){coarse} @ end()))"
            rows = self._range(ranked, start_s, end_s, step)
            return QueryResult("matrix", _parse_series(rows), count, ranked_by_server=True)
        series = _parse_series(self._range(query, start_s, end_s, step))
        return QueryResult("matrix", series[:limit], len(series))

    def range_series(self, selector: str, start: datetime | float, end: datetime | float, max_series: int = 200,
                     max_points: int = 250) -> list[tuple[dict[str, str], list[tuple[float, float]]]]:
        """Raw (labels, points) of at most max_series series, at most max_points each (for capturing bundles)."""
        step = max(1, math.ceil((_ts(end) - _ts(start)) / max_points))
        result = self.query_range(selector, start, end, step, limit=max_series, keep=max_series)
        return [(s.labels, s.points) for s in result.series]

    # --- discovery ---------------------------------------------------------------------------
    def series(self, match: str, start: datetime | float, end: datetime | float, limit: int = 200
               ) -> tuple[list[dict[str, str]], int]:
        """Label sets of the series matching a selector in [start, end] (at most `limit`), and how many there are."""
        found = self._call("series", self._client.get_series, datetime.fromtimestamp(_ts(start), UTC),
                           datetime.fromtimestamp(_ts(end), UTC), params={"match[]": match})
        return list(found[:limit]), len(found)

    def label_names(self, start: datetime | float, end: datetime | float) -> list[str]:
        names: list[str] = self._call("labels", self._client.get_label_names,
                                      params={"start": _ts(start), "end": _ts(end)})
        return names

    def label_values(self, label: str, start: datetime | float, end: datetime | float,
                     match: str | None = None) -> list[str]:
        params: dict[str, Any] = {"start": _ts(start), "end": _ts(end)}
        if match:
            params["match[]"] = match
        values: list[str] = self._call(f"label {label}", self._client.get_label_values, label, params=params)
        return values

    def metadata(self, metric: str | None = None) -> list[dict[str, str]]:
        """TYPE/HELP/UNIT of scraped metrics (empty for backfilled data: metadata comes from scrapes)."""
        rows: list[dict[str, str]] = self._call("metadata", self._client.get_metric_metadata, metric)
        return rows

    def present(self, names: list[str], end: datetime | float, window_s: int = 3600) -> set[str]:
        """Which of these metric names have a series in the window before `end` (one request, cached)."""
        end_s = int(_ts(end))
        wanted = sorted({n for n in names if _METRIC_NAME.match(n)})
        key = (",".join(wanted), end_s)
        if key not in self._present:
            names_re = "|".join(wanted)
            selector = f'{{__name__=~"{names_re}"}}'
            found = self.label_values("__name__", end_s - window_s, end_s, match=selector) if wanted else []
            self._present[key] = set(found)
        return self._present[key]

    def ready(self) -> bool:
        try:
            return bool(self._client.check_prometheus_connection())
        except (requests.RequestException, OSError):
            return False

    def check(self) -> None:
        """Raise PrometheusUnavailable (one line) unless the server answers an API request."""
        self._call("buildinfo check", self._client.get_label_names, params={"match[]": "up"})
