"""The HTTP service: Alertmanager webhook, investigations API, progress stream, health and metrics."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from holmes import __version__ as holmes_version
from holmes.config import Settings
from holmes.service.alertmanager import WebhookPayload
from holmes.service.body import BodyLimit
from holmes.service.investigator import Investigator
from holmes.service.reasons import validation_reason
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
from holmes.service.store import ListFilter
from holmes.service.webhook import PATH as WEBHOOK_PATH
from holmes.service.webhook import WebhookReceiver, openapi_operation

log = logging.getLogger("holmes.service")

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Malformed request; `detail` names the field and the problem."},
    401: {"model": ErrorBody, "description": "Missing or wrong credentials."},
    413: {"model": ErrorBody, "description": "Body larger than service.max_body_bytes."},
    503: {"model": ErrorBody, "description": "The store is unavailable; retry later."},
}


REF_TEMPLATE = "#/components/schemas/{model}"


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

    app = ServiceApp(title="holmes", version=holmes_version, lifespan=lifespan,
                     description="Troubleshooting for AI inference on Kubernetes: Alertmanager receiver and API.")
    app.state.service = service
    app.webhook = WebhookReceiver(service)
    app.add_middleware(BodyLimit, limit=settings.service.max_body_bytes)
    _install_error_handlers(app)
    _add_api_routes(app, service)
    _add_ops_routes(app, service)
    _with_models(app, [WebhookPayload, WebhookAck, ErrorBody], {WEBHOOK_PATH: openapi_operation()})
    return app


class ServiceApp(FastAPI):
    """FastAPI, except that the webhook's hot path goes straight to its own handler."""

    webhook: WebhookReceiver | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.webhook is not None and scope["type"] == "http" and scope["path"] == WEBHOOK_PATH:
            await self.webhook(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def _with_models(app: FastAPI, models: list[type[BaseModel]], paths: dict[str, Any]) -> None:
    """Publish endpoints FastAPI does not route, and their models (with what they nest) under components."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = generate()
            schemas = spec.setdefault("components", {}).setdefault("schemas", {})
            for model in models:
                schema = model.model_json_schema(ref_template=REF_TEMPLATE)
                for name, nested in schema.pop("$defs", {}).items():
                    schemas.setdefault(name, nested)
                schemas.setdefault(model.__name__, schema)
            spec["paths"] = {**paths, **spec["paths"]}
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_reason(exc.errors())}, status_code=400)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": f"internal error: {type(exc).__name__}"}, status_code=500)


def _authenticated(service: Service) -> Any:
    async def check(authorization: Annotated[str | None, Header(include_in_schema=False)] = None) -> None:
        if not service.auth.allows(authorization):
            challenge = {"WWW-Authenticate": service.auth.challenge}
            raise HTTPException(401, "missing or wrong credentials", headers=challenge)

    return Depends(check)


def _add_api_routes(app: FastAPI, service: Service) -> None:
    auth = [_authenticated(service)]

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
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ) -> InvestigationList:
        """Newest first, filtered by status, alert name, namespace, fingerprint and creation time."""
        where = ListFilter(status=status, alertname=alertname, namespace=namespace, fingerprint=fingerprint,
                           since=_utc(since), until=_utc(until), limit=limit, offset=offset)
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


def _utc(moment: datetime | None) -> datetime | None:
    """Times are stored in UTC; a time given without an offset is taken as UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def _stored(future: Any) -> Any:
    """Wait for the writer's commit; a store failure is a 503 (Alertmanager retries), never a 500."""
    try:
        return await asyncio.wrap_future(future)
    except Exception as exc:
        log.exception("store write failed")
        raise HTTPException(503, f"the investigation store is unavailable: {type(exc).__name__}") from None
