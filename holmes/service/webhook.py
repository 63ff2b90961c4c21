"""The Alertmanager webhook receiver, as a plain ASGI handler: the hot path skips FastAPI's per-request machinery
(middleware, routing, telemetry), which costs more than everything else an acknowledgement does. The app routes
POST /api/v1/alertmanager here before anything else and documents it in its OpenAPI."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from starlette.types import Receive, Scope, Send

from holmes.service.alertmanager import WebhookPayload, incoming_alerts
from holmes.service.body import BodyTooLarge, read_body, send_json
from holmes.service.gather import AlertGatherer
from holmes.service.reasons import validation_reason
from holmes.service.runtime import Service
from holmes.service.schemas import WebhookAck
from holmes.service.store import AlertOutcome

log = logging.getLogger("holmes.service.webhook")

PATH = "/api/v1/alertmanager"


class WebhookReceiver:
    """ASGI handler of PATH alone."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._gatherer = AlertGatherer(service.require_store)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self._answer(scope, receive, send)
        except Exception:  # a bug, not bad input: answer like the app's own handler would
            log.exception("unexpected error on the webhook")
            await send_json(send, 500, {"detail": "internal error"}, close=True)

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST":
            await send_json(send, 405, {"detail": "use POST"}, {"Allow": "POST"})
            return
        headers: dict[str, str] = {}
        try:
            status, body = await self._receive(scope, receive, headers)
        except BodyTooLarge as refused:
            await send_json(send, refused.status, {"detail": refused.detail}, close=True)
            return
        await send_json(send, status, body, headers)

    async def _receive(self, scope: Scope, receive: Receive, headers: dict[str, str]) -> tuple[int, Any]:
        service = self.service
        if not service.auth.allows(_header(scope, b"authorization")):
            headers["WWW-Authenticate"] = service.auth.challenge
            return 401, {"detail": "missing or wrong credentials"}
        raw = await read_body(scope, receive, service.settings.service.max_body_bytes)
        try:
            payload = WebhookPayload.model_validate_json(raw)
        except ValidationError as exc:
            return 400, {"detail": validation_reason(exc.errors())}
        alerts = incoming_alerts(payload)
        for alert in alerts:
            service.metrics.alerts_received.labels(alert.alert.status).inc()
        try:
            outcomes = await self._gatherer.accept(alerts)
        except Exception as exc:  # Alertmanager retries a 5xx: the alerts are not lost
            log.exception("storing alerts failed")
            return 503, {"detail": f"the investigation store is unavailable: {type(exc).__name__}"}
        return 200, acknowledgement(service, outcomes).model_dump_json().encode()


def acknowledgement(service: Service, outcomes: list[AlertOutcome]) -> WebhookAck:
    counts = {"queued": 0, "duplicate": 0, "resolved": 0, "ignored": 0}
    for outcome in outcomes:
        counts[outcome.action] += 1
    if counts["duplicate"]:
        service.metrics.alerts_deduplicated.inc(counts["duplicate"])
    return WebhookAck(received=len(outcomes), queued=counts["queued"], duplicates=counts["duplicate"],
                      resolved=counts["resolved"], ignored=counts["ignored"],
                      investigations=[outcome.investigation_id for outcome in outcomes])


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def openapi_operation() -> dict[str, Any]:
    """The path item FastAPI would have generated, for an endpoint it does not route."""
    def ref(model: str) -> dict[str, Any]:
        return {"application/json": {"schema": {"$ref": f"#/components/schemas/{model}"}}}

    errors = {"400": "Malformed payload; `detail` names the field and the problem.",
              "401": "Missing or wrong credentials.", "413": "Body larger than service.max_body_bytes.",
              "503": "The store is unavailable; Alertmanager retries."}
    responses: dict[str, Any] = {"200": {"description": "Every alert counted is already stored.",
                                         "content": ref("WebhookAck")}}
    responses.update({code: {"description": text, "content": ref("ErrorBody")} for code, text in errors.items()})
    return {"post": {
        "tags": ["alertmanager"], "summary": "Alertmanager Webhook", "operationId": "alertmanager_webhook",
        "description": "Alertmanager webhook receiver (payload version 4), with bearer or basic auth as "
                       "`http_config` sends it. Answers only after the alerts are committed. A re-sent firing "
                       "alert (same fingerprint and startsAt) joins its episode's investigation; `resolved` "
                       "marks it resolved.",
        "requestBody": {"required": True, "content": ref("WebhookPayload")},
        "responses": responses,
    }}
