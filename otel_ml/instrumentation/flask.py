"""One-line monitoring of a Flask model service.

Usage::

    from flask import Flask
    from opentelemetry.instrumentation.flask import FlaskInstrumentor
    from otel_ml.instrumentation.flask import FlaskModelInstrumentor

    app = Flask(__name__)
    FlaskInstrumentor().instrument_app(app)              # HTTP server spans and http.* metrics
    FlaskModelInstrumentor.instrument_app(app, monitor)  # a prediction span under each /predict span

Call it after the contrib instrumentation, so that the prediction span nests in the HTTP span.
Which requests are predictions: ``routes`` (URL rules, default ``/predict``; ``"*"`` for every
POST route). Where the features are: ``features``, a dotted path in the request JSON (default
``features``) or a function of the parsed JSON. Where the prediction is: ``output``, a function of
the response JSON (default: ``label``/``prediction``/``class``, ``confidence``/``probability``,
``value``). Or wrap the model instead (``monitor.wrap(model)``) and leave routes empty.

A request that is not JSON, or whose JSON has no features, is still monitored (its features are
just missing); a response with status 400 or more marks the prediction failed with
``error.type`` = the status code; a view that raises records the exception. Per-app state lives
in ``app.extensions["otel_ml"]``.
"""

from __future__ import annotations

import logging
from typing import Any, Collection, Iterable

import flask
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor

from otel_ml.instrumentation._common import AppMonitoring, Extractor, OutputReader, app_monitoring

_logger = logging.getLogger(__name__)
_KEY = "otel_ml"
_G_KEY = "_otel_ml_prediction"
_instruments = ("flask >= 2.2",)


class FlaskModelInstrumentor(BaseInstrumentor):
    """``instrument()`` monitors every Flask app created afterwards (what ``opentelemetry-instrument``
    does, configured from ``OTEL_ML_*``); ``instrument_app(app, ...)`` one app."""

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def _instrument(self, **kwargs: Any) -> None:
        self._original_call = flask.Flask.__call__
        original = self._original_call
        settings = kwargs

        def __call__(app: flask.Flask, environ: Any, start_response: Any) -> Any:
            # instrumented on the first request, when every __init__ (and contrib's) has run
            if _KEY not in app.extensions:
                FlaskModelInstrumentor.instrument_app(app, **settings)
            return original(app, environ, start_response)

        flask.Flask.__call__ = __call__  # type: ignore[method-assign]

    def _uninstrument(self, **kwargs: Any) -> None:
        flask.Flask.__call__ = self._original_call  # type: ignore[method-assign]

    @staticmethod
    def instrument_app(app: flask.Flask, monitor: Any = None, *, routes: Iterable[str] | None = None,
                       features: Extractor | str | None = None, output: OutputReader | None = None) -> Any:
        """Monitor ``app``'s prediction routes with ``monitor`` (``None``: one from ``OTEL_ML_*``).
        Returns the monitor. A second call on the same app only logs a warning."""
        if _KEY in app.extensions:
            _logger.warning("otel_ml: Flask app %r is already instrumented", app.name)
            return app.extensions[_KEY].monitor
        if routes is None and features is None and monitor is None:
            from otel_ml.instrumentation._common import env_features, env_routes

            routes, features = env_routes(), env_features()
        state = app_monitoring(monitor, routes, features, output)
        app.extensions[_KEY] = state
        app.before_request(_before)
        app.after_request(_after)
        app.teardown_request(_teardown)
        return state.monitor

    @staticmethod
    def uninstrument_app(app: flask.Flask) -> None:
        if app.extensions.pop(_KEY, None) is None:
            return
        for funcs, fn in ((app.before_request_funcs, _before), (app.after_request_funcs, _after),
                          (app.teardown_request_funcs, _teardown)):
            if fn in funcs.get(None, []):
                funcs[None].remove(fn)


def _state() -> AppMonitoring | None:
    return flask.current_app.extensions.get(_KEY)


def _before() -> None:
    state = _state()
    rule = flask.request.url_rule.rule if flask.request.url_rule is not None else None
    if state is None or not state.is_prediction(flask.request.method, rule):
        return
    try:
        payload = flask.request.get_json(silent=True) if (flask.request.content_length or 0) <= 1 << 20 else None
        features = state.features(payload) if payload is not None else None
    except Exception:  # noqa: BLE001 - the app decides what a bad body means
        features = None
    prediction = state.monitor.predict(features)
    prediction.__enter__()
    setattr(flask.g, _G_KEY, prediction)


def _after(response: flask.Response) -> flask.Response:
    prediction = getattr(flask.g, _G_KEY, None)
    state = _state()
    if prediction is None or state is None:
        return response
    try:
        if response.status_code >= 400:
            prediction.fail(str(response.status_code))
        elif response.is_json and not response.direct_passthrough:
            label, confidence, value = state.output(response.get_json(silent=True))
            prediction.record(label, confidence=confidence, value=value)
    except Exception:  # noqa: BLE001
        _logger.debug("otel_ml: could not read the prediction from the response", exc_info=True)
    return response


def _teardown(exc: BaseException | None) -> None:
    prediction = flask.g.pop(_G_KEY, None)
    if prediction is not None:
        prediction.__exit__(type(exc) if exc is not None else None, exc, None)
