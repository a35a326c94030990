"""One-line monitoring of a Flask model service.

Usage::

    from flask import Flask
    from opentelemetry.instrumentation.flask import FlaskInstrumentor
    from otel_ml.instrumentation.flask import FlaskModelInstrumentor

    app = Flask(__name__)
    FlaskInstrumentor().instrument_app(app)              # HTTP server spans and http.* metrics
    FlaskModelInstrumentor.instrument_app(app, monitor)  # a prediction span under each /predict span

Call it after the contrib instrumentation, so that the prediction span nests in the HTTP span.
With an instrumented model library (:mod:`otel_ml.instrumentation.sklearn` and friends) or
``monitor.wrap(model)``, the model's calls are the predictions, whatever the bodies look like.
Otherwise the bodies are read (:mod:`otel_ml.instrumentation._common`). Which requests are
predictions: ``routes`` (URL rules as Flask writes them, ``/models/<name>/predict``; default
``/predict``; ``"*"`` for every POST and PUT route). Where the features are: ``features``, a
JMESPath into the request JSON or a function of it (default: the usual places, or the body
itself; a form's fields). Where the prediction is: ``output``, a function of the response JSON,
or the ``OTEL_ML_*_PATH`` variables (default: the usual keys; a list is one row each). Unset
arguments are read from ``OTEL_ML_*`` (see :mod:`otel_ml.environment_variables`).

A request that is not JSON, or whose JSON has no features, is still monitored (its features are
just missing); a response with status 400 or more marks the prediction failed with
``error.type`` = the status code; a view that raises records the exception. Bodies are read
after the view has run, never before, so the view sees the request stream untouched. Per-app
state lives in ``app.extensions["otel_ml"]``.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from enum import Enum
from typing import TYPE_CHECKING, Any

import flask

from otel_ml.instrumentation._base import BaseInstrumentor
from otel_ml.instrumentation._common import MAX_BODY, AppMonitoring, RequestMonitoring, app_monitoring
from otel_ml.instrumentation._reading import Extractor, OutputReader, form_row

if TYPE_CHECKING:
    from otel_ml.monitor import ModelMonitor

_logger = logging.getLogger(__name__)
_KEY = "otel_ml"
_G_KEY = "_otel_ml_request"
_G_RESPONSE = "_otel_ml_response"
_G_ANSWER = "_otel_ml_answer"
_PLAIN = (str, int, float, bool, type(None), list, dict)
_instruments = ("flask >= 2.2",)
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


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
                try:
                    FlaskModelInstrumentor.instrument_app(app, **settings)
                except Exception:  # noqa: BLE001 - a bad OTEL_ML_* setting: logged, the app serves on
                    _logger.exception("otel_ml: could not instrument Flask app %r", app.name)
                    app.extensions[_KEY] = None
            return original(app, environ, start_response)

        flask.Flask.__call__ = __call__  # type: ignore[method-assign, assignment]

    def _uninstrument(self, **kwargs: Any) -> None:
        flask.Flask.__call__ = self._original_call  # type: ignore[method-assign]

    @staticmethod
    def instrument_app(app: flask.Flask, monitor: ModelMonitor | None = None, *, routes: Iterable[str] | None = None,
                       features: Extractor | str | None = None, output: OutputReader | None = None,
                       **kwargs: Any) -> ModelMonitor:
        """Monitor ``app``'s predictions with ``monitor`` (``None``: the process's, from ``OTEL_ML_*``).
        Unset arguments are read from the environment. ``tracer_provider``, ``meter_provider``
        and ``logger_provider`` (as every instrumentor takes them) are for that monitor; other
        keywords are ignored. Returns the monitor. A second call on the same app only logs a warning."""
        if app.extensions.get(_KEY) is not None:
            _logger.warning("otel_ml: Flask app %r is already instrumented", app.name)
            instrumented: AppMonitoring = app.extensions[_KEY]
            return instrumented.monitor
        state = app_monitoring(monitor, routes, features, output, **kwargs)
        app.extensions[_KEY] = state
        _remember_answers(app)
        app.before_request(_before)
        app.after_request(_after)
        app.teardown_request(_teardown)
        return state.monitor

    @staticmethod
    def uninstrument_app(app: flask.Flask) -> None:
        if app.extensions.pop(_KEY, None) is None:
            return
        if "response" in vars(app.json):
            del app.json.response
        for funcs, fn in ((app.before_request_funcs, _before), (app.after_request_funcs, _after),
                          (app.teardown_request_funcs, _teardown)):
            registered: list[Any] = funcs.get(None, [])
            if fn in registered:
                registered.remove(fn)


def _state() -> AppMonitoring | None:
    return flask.current_app.extensions.get(_KEY)


def _before() -> None:
    state = _state()
    if state is None:
        return
    try:
        rule = flask.request.url_rule.rule if flask.request.url_rule is not None else None
        setattr(flask.g, _G_KEY, RequestMonitoring(state, flask.request.method, rule))
    except Exception:  # noqa: BLE001
        _logger.debug("otel_ml: could not start monitoring a request", exc_info=True)


def _after(response: flask.Response) -> flask.Response:
    request = getattr(flask.g, _G_KEY, None)
    if request is None:
        return response
    setattr(flask.g, _G_RESPONSE, response)
    if response.status_code < 500:          # recorded now, so that the id header can carry signed ids;
        try:                                # a server error waits for teardown, which has the exception
            request.finish(response.status_code, _request_document, lambda: _response_document(response), None)
        except Exception:  # noqa: BLE001
            _logger.debug("otel_ml: could not record a request's predictions", exc_info=True)
    try:
        header = request.header()
        if header is not None:
            response.headers[request.state.id_header] = header
    except Exception:  # noqa: BLE001
        _logger.debug("otel_ml: could not set the prediction id header", exc_info=True)
    return response


def _teardown(exc: BaseException | None) -> None:
    request = flask.g.pop(_G_KEY, None)
    response = flask.g.pop(_G_RESPONSE, None)
    if request is None or request.done:
        return
    try:
        status = response.status_code if response is not None else 500
        request.finish(status, _request_document, lambda: _response_document(response), exc)
    except Exception:  # noqa: BLE001
        _logger.debug("otel_ml: could not record a request's predictions", exc_info=True)


def _request_document() -> Any:
    request = flask.request
    if (request.content_length or 0) > MAX_BODY:
        return None
    if request.mimetype in _FORMS:
        return form_row(request.form.to_dict())
    return request.get_json(silent=True)


def _remember_answers(app: flask.Flask) -> None:
    """Keep what the view answered (a dict returned, or ``jsonify``'s arguments) beside the JSON
    response Flask made of it, so that reading the prediction does not parse that JSON again."""
    provider = app.json
    make = provider.response

    def response(*args: Any, **kwargs: Any) -> Any:
        made: Any = make(*args, **kwargs)
        try:
            answer = args[0] if len(args) == 1 and not kwargs else kwargs if kwargs and not args else None
            plain = type(answer) is dict and all(isinstance(v, _PLAIN) and not isinstance(v, Enum)   # numpy's float64
                                                 for v in answer.values())     # is a float; an Enum is not its JSON
            if plain and flask.has_request_context():
                setattr(flask.g, _G_ANSWER, (made, made.response, answer))
        except Exception:  # noqa: BLE001 - the JSON is parsed again instead
            pass
        return made

    provider.response = response  # type: ignore[method-assign]


def _response_document(response: flask.Response | None) -> Any:
    if response is None or not response.is_json or response.is_streamed or response.direct_passthrough:
        return None
    remembered = getattr(flask.g, _G_ANSWER, None)
    if remembered is not None and remembered[0] is response and remembered[1] is response.response:
        return remembered[2]                # the body is still the one made of it
    if (response.content_length or 0) > MAX_BODY:
        return None
    return response.get_json(silent=True)
