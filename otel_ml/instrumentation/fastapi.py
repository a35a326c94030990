"""One-line monitoring of a FastAPI (or any Starlette) model service.

Usage::

    from fastapi import FastAPI
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from otel_ml.instrumentation.fastapi import FastAPIModelInstrumentor

    app = FastAPI()
    FastAPIInstrumentor.instrument_app(app)               # HTTP server spans and http.* metrics
    FastAPIModelInstrumentor.instrument_app(app, monitor)

The same options as :mod:`otel_ml.instrumentation.flask` (``routes``, ``features``, ``output``,
and the ``OTEL_ML_*`` variables); routes are matched on the route's template, as FastAPI writes
it (``/models/{name}/predict``), as the contrib instrumentation does. A pure ASGI middleware
reads the request body (up to 1 MiB; larger bodies pass through unread), hands the same bytes
on to the app, and reads the JSON response as it is sent. The contrib middleware is always the
outermost, so the prediction span is a child of the HTTP span.
Per-app state lives in ``app.state.otel_ml``. When the app's lifespan shuts down, the global
providers are flushed: uvicorn's ``--workers`` processes exit without running ``atexit``, where
the SDK would otherwise send its last batch.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import fastapi
from starlette.routing import Match

from otel_ml.instrumentation._base import BaseInstrumentor
from otel_ml.instrumentation._common import MAX_BODY, AppMonitoring, RequestMonitoring, app_monitoring
from otel_ml.instrumentation._reading import Extractor, OutputReader, form_row

if TYPE_CHECKING:
    from otel_ml.monitor import ModelMonitor

_logger = logging.getLogger(__name__)
_instruments = ("fastapi >= 0.100",)


class FastAPIModelInstrumentor(BaseInstrumentor):
    """``instrument()`` monitors every FastAPI app created afterwards; ``instrument_app`` one app."""

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def _instrument(self, **kwargs: Any) -> None:
        self._original_init = fastapi.FastAPI.__init__
        original = self._original_init

        def __init__(app: fastapi.FastAPI, *args: Any, **init_kwargs: Any) -> None:
            original(app, *args, **init_kwargs)
            try:
                FastAPIModelInstrumentor.instrument_app(app, **kwargs)
            except Exception:  # noqa: BLE001 - a bad OTEL_ML_* setting: logged, the app serves on
                _logger.exception("otel_ml: could not instrument a FastAPI app")

        fastapi.FastAPI.__init__ = __init__  # type: ignore[method-assign, assignment]

    def _uninstrument(self, **kwargs: Any) -> None:
        fastapi.FastAPI.__init__ = self._original_init  # type: ignore[method-assign]

    @staticmethod
    def instrument_app(app: fastapi.FastAPI, monitor: ModelMonitor | None = None, *,
                       routes: Iterable[str] | None = None, features: Extractor | str | None = None,
                       output: OutputReader | None = None, **kwargs: Any) -> ModelMonitor:
        """Monitor ``app``'s predictions; returns the monitor. The same arguments as
        :meth:`FlaskModelInstrumentor.instrument_app`. Twice only logs a warning."""
        existing: AppMonitoring | None = getattr(app.state, "otel_ml", None)
        if existing is not None:
            _logger.warning("otel_ml: FastAPI app is already instrumented")
            return existing.monitor
        state = app_monitoring(monitor, routes, features, output, **kwargs)
        app.state.otel_ml = state
        app.add_middleware(PredictionMiddleware, state=state, routes_of=app)
        return state.monitor


def route_template(app: fastapi.FastAPI, scope: dict[str, Any]) -> str | None:
    """The template of the route that serves ``scope`` (``/models/{name}/predict``), as the
    contrib instrumentation finds it; the raw path when no route matches."""
    try:
        for route in app.router.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return getattr(route, "path", None) or scope.get("path")
    except Exception:  # noqa: BLE001
        pass
    return scope.get("path")


class PredictionMiddleware:
    """ASGI middleware: the predictions of each request, and the outcomes posted back."""

    def __init__(self, app: Any, state: AppMonitoring, routes_of: Any = None) -> None:
        self.app = app
        self.state = state
        self.routes_of = routes_of

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, _flush_before_shutdown_completes(send))
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "")
        route = route_template(self.routes_of, scope) if self.routes_of is not None and method in self.state.methods \
            else scope.get("path")
        request = RequestMonitoring(self.state, method, route)
        reads_request = request.prediction_route or request.outcome_route
        body, replay = await _read_body(receive) if reads_request else (None, receive)
        response: dict[str, Any] = {"status": 500, "json": False, "chunks": [], "size": 0, "done": False}

        def finish(error: BaseException | None) -> None:
            if response["done"]:
                return
            response["done"] = True
            try:
                request.finish(response["status"], lambda: _document(body, scope),
                               lambda: _response_document(response), error)
            except Exception:  # noqa: BLE001
                _logger.debug("otel_ml: could not record a request's predictions", exc_info=True)

        held: list[dict[str, Any]] = []          # the response start, while the id header waits for the ids

        async def send_start(start: dict[str, Any]) -> None:
            header = request.header()
            if header is not None and self.state.id_header is not None:
                start = {**start, "headers": [*start.get("headers", []),
                                              (self.state.id_header.lower().encode("latin-1"),
                                               header.encode("latin-1"))]}
            await send(start)

        async def send_and_read(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                headers = message.get("headers", [])
                response["json"] = any(k.lower() == b"content-type" and b"json" in v.lower() for k, v in headers)
                if self.state.id_header:
                    held.append(message)             # sent with the body: the ids are known then
                    return
            elif message["type"] == "http.response.body":
                if response["json"]:
                    chunk = message.get("body", b"")
                    response["size"] += len(chunk)
                    if response["size"] <= MAX_BODY:
                        response["chunks"].append(chunk)
                if not message.get("more_body", False):
                    finish(None)        # before the last byte: the HTTP server span ends with it
                if held:
                    await send_start(held.pop())
            await send(message)

        try:
            await self.app(scope, replay, send_and_read)
        except BaseException as exc:
            finish(exc)
            raise
        finally:
            finish(None)


def _document(body: bytes | None, scope: dict[str, Any]) -> Any:
    if not body:
        return None
    content_type = next((v for k, v in scope.get("headers", []) if k.lower() == b"content-type"), b"").lower()
    if content_type.startswith(b"application/x-www-form-urlencoded"):
        return form_row(dict(parse_qsl(body.decode("utf-8", "replace"))))
    try:
        return json.loads(body)
    except ValueError:
        return None


def _response_document(response: dict[str, Any]) -> Any:
    if not response["json"] or response["size"] > MAX_BODY:
        return None
    try:
        return json.loads(b"".join(response["chunks"]))
    except ValueError:
        return None


def _flush_before_shutdown_completes(send: Any) -> Any:
    """uvicorn's worker processes (``--workers N``) end without running ``atexit``, so the SDK's
    last export would be lost: flush when the app's lifespan shutdown completes."""
    async def send_and_flush(message: dict[str, Any]) -> None:
        if message.get("type") == "lifespan.shutdown.complete":
            import asyncio

            await asyncio.get_running_loop().run_in_executor(None, _flush_everything)
        await send(message)

    return send_and_flush


def _flush_everything() -> None:
    from otel_ml._log_queue import flush_all as flush_prediction_logs
    from otel_ml._shutdown import flush_global_providers
    from otel_ml.sdk import _flush_drift_counts

    try:
        flush_prediction_logs()                 # the monitors' log queues, then every global provider,
        _flush_drift_counts()                   # all at once, within OTEL_ML_SHUTDOWN_TIMEOUT
        flush_global_providers()
    except Exception:  # noqa: BLE001
        _logger.warning("otel_ml: flushing telemetry at shutdown failed", exc_info=True)


async def _read_body(receive: Any) -> tuple[bytes | None, Any]:
    """The request body (``None`` past MAX_BODY) and a ``receive`` that replays it to the app."""
    messages = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        if size > MAX_BODY or not message.get("more_body", False):
            break
    complete = messages[-1]["type"] == "http.request" and not messages[-1].get("more_body", False)
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request") if complete else None

    async def replay() -> dict[str, Any]:
        message: dict[str, Any] = messages.pop(0) if messages else await receive()
        return message

    return body, replay
