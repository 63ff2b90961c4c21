"""The HTTP service: Alertmanager webhook, investigations API, progress stream, health and metrics."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from holmes import __version__ as holmes_version
from holmes.config import Settings
from holmes.service.alertmanager import WebhookPayload, incoming_alerts
from holmes.service.body import BodyLimit
from holmes.service.investigator import Investigator
from holmes.service.routing import ResultHook
from holmes.service.runtime import Service, Tuning
from holmes.service.schemas import (
    Accepted,
    ErrorBody,
    InvestigationList,
    InvestigationRequest,
    InvestigationView,
    Links,
    Status,
    WebhookAck,
)
from holmes.service.sse import progress_stream
from holmes.service.store import AlertOutcome, ListFilter

log = logging.getLogger("holmes.service")

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Malformed request; `detail` names the field and the problem."},
    401: {"model": ErrorBody, "description": "Missing or wrong credentials."},
    413: {"model": ErrorBody, "description": "Body larger than service.max_body_bytes."},
    503: {"model": ErrorBody, "description": "The store is unavailable; retry later."},
}


def create_app(settings: Settings, investigator: Investigator, *, hooks: Iterable[ResultHook] = (),
               tuning: Tuning | None = None) -> FastAPI:
    """Build the app; the store opens and the workers start when the app starts (lifespan)."""
    service = Service(settings, investigator, hooks, tuning)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(service.start)
        try:
            yield
        finally:
            await run_in_threadpool(service.stop)

    app = FastAPI(title="holmes", version=holmes_version, lifespan=lifespan,
                  description="Troubleshooting for AI inference on Kubernetes: Alertmanager receiver and API.")
    app.state.service = service
    app.add_middleware(BodyLimit, limit=settings.service.max_body_bytes)
    _install_error_handlers(app)
    _add_api_routes(app, service)
    _add_ops_routes(app, service)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _reason(exc.errors())}, status_code=400)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": f"internal error: {type(exc).__name__}"}, status_code=500)


def _reason(errors: Any) -> str:
    """One line: the first problem with its location inside the request, and how many more there are."""
    errors = list(errors)
    if not errors:
        return "invalid request"
    first = errors[0]
    location = [str(part) for part in first.get("loc", ())]
    if location and location[0] == "body":
        location = location[1:]
    where = ".".join(location) or "body"
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    if first.get("type") == "json_invalid":
        where, message = "body", f"not valid JSON ({first.get('ctx', {}).get('error', 'parse error')})"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {message}{more}"


def _authenticated(service: Service) -> Any:
    async def check(authorization: Annotated[str | None, Header(include_in_schema=False)] = None) -> None:
        if not service.auth.allows(authorization):
            challenge = {"WWW-Authenticate": service.auth.challenge}
            raise HTTPException(401, "missing or wrong credentials", headers=challenge)

    return Depends(check)


def _add_api_routes(app: FastAPI, service: Service) -> None:
    auth = [_authenticated(service)]

    @app.post("/api/v1/alertmanager", response_model=WebhookAck, dependencies=auth, responses=ERRORS,
              tags=["alertmanager"])
    async def alertmanager_webhook(payload: WebhookPayload) -> WebhookAck:
        """Alertmanager webhook receiver (payload version 4). Answers only after the alerts are committed."""
        alerts = incoming_alerts(payload)
        for alert in alerts:
            service.metrics.alerts_received.labels(alert.alert.status).inc()
        outcomes = await _stored(service.require_store().accept_alerts(alerts))
        return _ack(service, outcomes)

    @app.post("/api/v1/investigations", status_code=202, response_model=Accepted, dependencies=auth,
              responses=ERRORS, tags=["investigations"])
    async def create_investigation(request: InvestigationRequest) -> Accepted:
        """Queue an investigation of a question and/or a subject against the service's configured sources."""
        try:
            trigger = request.trigger()
        except ValueError as exc:
            raise HTTPException(400, f"subject: {exc}") from None
        investigation_id = await _stored(service.require_store().create(trigger))
        base = f"/api/v1/investigations/{investigation_id}"
        return Accepted(id=investigation_id, status="queued", links=Links(self=base, events=f"{base}/events"))

    @app.get("/api/v1/investigations/{investigation_id}", response_model=InvestigationView, dependencies=auth,
             responses={404: {"model": ErrorBody}}, tags=["investigations"])
    def get_investigation(investigation_id: str) -> InvestigationView:
        record = service.require_store().get(investigation_id)
        if record is None:
            raise HTTPException(404, f"no investigation {investigation_id!r}")
        return InvestigationView.of(record)

    @app.get("/api/v1/investigations", response_model=InvestigationList, dependencies=auth, responses=ERRORS,
             tags=["investigations"])
    def list_investigations(
        status: Status | None = None,
        alertname: str | None = None,
        namespace: str | None = None,
        fingerprint: str | None = None,
        since: Annotated[datetime | None, Query(description="Created at or after (RFC 3339).")] = None,
        until: Annotated[datetime | None, Query(description="Created before (RFC 3339).")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> InvestigationList:
        """Newest first, filtered by status, alert name, namespace, fingerprint and creation time."""
        where = ListFilter(status=status, alertname=alertname, namespace=namespace, fingerprint=fingerprint,
                           since=since, until=until, limit=limit, offset=offset)
        items = [InvestigationView.of(record) for record in service.require_store().find(where)]
        return InvestigationList(items=items, count=len(items), limit=limit, offset=offset)

    @app.get("/api/v1/investigations/{investigation_id}/events", dependencies=auth,
             responses={200: {"content": {"text/event-stream": {}}}, 404: {"model": ErrorBody}},
             response_class=StreamingResponse, tags=["investigations"])
    async def investigation_events(request: Request, investigation_id: str,
                                   last_event_id: Annotated[str | None, Header()] = None) -> StreamingResponse:
        """Server-sent events of one investigation's progress: queued, started, progress lines, finished."""
        store = service.require_store()
        if await run_in_threadpool(store.get, investigation_id) is None:
            raise HTTPException(404, f"no investigation {investigation_id!r}")
        after = int(last_event_id) if last_event_id and last_event_id.isdigit() else 0
        stream = progress_stream(store, investigation_id, after, request.is_disconnected)
        return StreamingResponse(stream, media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _add_ops_routes(app: FastAPI, service: Service) -> None:
    @app.get("/healthz", response_class=PlainTextResponse, tags=["operations"])
    def healthz() -> str:
        """The process answers."""
        return "ok"

    @app.get("/readyz", response_class=PlainTextResponse, tags=["operations"],
             responses={503: {"description": "store unreachable or worker pool not running"}})
    def readyz() -> Response:
        """The store answers and the worker pool runs."""
        if service.ready:
            return PlainTextResponse("ready")
        return PlainTextResponse("not ready: store unreachable or worker pool not running", status_code=503)

    @app.get("/metrics", tags=["operations"], response_class=PlainTextResponse)
    def metrics() -> Response:
        """Prometheus metrics."""
        return Response(service.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


async def _stored(future: Any) -> Any:
    """Wait for the writer's commit; a store failure is a 503 (Alertmanager retries), never a 500."""
    try:
        return await asyncio.wrap_future(future)
    except Exception as exc:
        log.exception("store write failed")
        raise HTTPException(503, f"the investigation store is unavailable: {type(exc).__name__}") from None


def _ack(service: Service, outcomes: list[AlertOutcome]) -> WebhookAck:
    counts = {"queued": 0, "duplicate": 0, "resolved": 0, "ignored": 0}
    for outcome in outcomes:
        counts[outcome.action] += 1
    if counts["duplicate"]:
        service.metrics.alerts_deduplicated.inc(counts["duplicate"])
    return WebhookAck(received=len(outcomes), queued=counts["queued"], duplicates=counts["duplicate"],
                      resolved=counts["resolved"], ignored=counts["ignored"],
                      investigations=[outcome.investigation_id for outcome in outcomes])
