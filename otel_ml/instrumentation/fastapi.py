"""One-line monitoring of a FastAPI (or any Starlette) model service.

Usage::

    from fastapi import FastAPI
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from otel_ml.instrumentation.fastapi import FastAPIModelInstrumentor

    app = FastAPI()
    FastAPIInstrumentor.instrument_app(app)               # HTTP server spans and http.* metrics
    FastAPIModelInstrumentor.instrument_app(app, monitor)

The same options as :mod:`otel_ml.instrumentation.flask` (``routes``, ``features``, ``output``).
A pure ASGI middleware reads the request body (up to 1 MiB; larger bodies pass through
unmonitored), hands the same bytes on to the app, and reads the JSON response as it is sent. The
contrib middleware is always the outermost, so the prediction span is a child of the HTTP span.
Per-app state lives in ``app.state.otel_ml``. When the app's lifespan shuts down, the global
providers are flushed: uvicorn's ``--workers`` processes exit without running ``atexit``, where
the SDK would otherwise send its last batch.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Collection, Iterable

import fastapi
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor

from otel_ml.instrumentation._common import MAX_BODY, AppMonitoring, Extractor, OutputReader, app_monitoring

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
            FastAPIModelInstrumentor.instrument_app(app, **kwargs)

        fastapi.FastAPI.__init__ = __init__  # type: ignore[method-assign]

    def _uninstrument(self, **kwargs: Any) -> None:
        fastapi.FastAPI.__init__ = self._original_init  # type: ignore[method-assign]

    @staticmethod
    def instrument_app(app: Any, monitor: Any = None, *, routes: Iterable[str] | None = None,
                       features: Extractor | str | None = None, output: OutputReader | None = None) -> Any:
        """Monitor ``app``'s prediction routes; returns the monitor. Twice only logs a warning."""
        existing = getattr(app.state, "otel_ml", None)
        if existing is not None:
            _logger.warning("otel_ml: FastAPI app is already instrumented")
            return existing.monitor
        if routes is None and features is None and monitor is None:
            from otel_ml.instrumentation._common import env_features, env_routes

            routes, features = env_routes(), env_features()
        state = app_monitoring(monitor, routes, features, output)
        app.state.otel_ml = state
        app.add_middleware(PredictionMiddleware, state=state)
        return state.monitor


class PredictionMiddleware:
    """ASGI middleware: one monitored prediction per matching request."""

    def __init__(self, app: Any, state: AppMonitoring) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, _flush_before_shutdown_completes(send))
            return
        if scope["type"] != "http" or not self.state.is_prediction(scope.get("method", ""), scope.get("path")):
            await self.app(scope, receive, send)
            return
        body, replay = await _read_body(receive)
        features = None
        if body is not None:
            try:
                features = self.state.features(json.loads(body))
            except Exception:  # noqa: BLE001 - the app answers a bad body itself
                features = None
        prediction = self.state.monitor.predict(features)
        prediction.__enter__()
        response: dict[str, Any] = {"status": 200, "json": False, "chunks": [], "size": 0}

        async def send_and_read(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["json"] = any(k.lower() == b"content-type" and b"json" in v.lower()
                                       for k, v in message.get("headers", []))
            elif message["type"] == "http.response.body" and response["json"]:
                chunk = message.get("body", b"")
                response["size"] += len(chunk)
                if response["size"] <= MAX_BODY:
                    response["chunks"].append(chunk)
            await send(message)

        error: BaseException | None = None
        try:
            await self.app(scope, replay, send_and_read)
        except BaseException as exc:
            error = exc
            raise
        finally:
            self._record(prediction, response, error)

    def _record(self, prediction: Any, response: dict[str, Any], error: BaseException | None) -> None:
        try:
            if error is None and response["status"] >= 400:
                prediction.fail(str(response["status"]))
            elif error is None and response["json"] and response["size"] <= MAX_BODY:
                label, confidence, value = self.state.output(json.loads(b"".join(response["chunks"])))
                prediction.record(label, confidence=confidence, value=value)
        except Exception:  # noqa: BLE001
            _logger.debug("otel_ml: could not read the prediction from the response", exc_info=True)
        prediction.__exit__(type(error) if error is not None else None, error, None)


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
    from otel_ml.sdk import current_telemetry

    try:
        current_telemetry().force_flush()          # the monitors' log queues, then every global provider
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
        return messages.pop(0) if messages else await receive()

    return body, replay
