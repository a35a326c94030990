"""Zero-code monitoring of ONNX models: ``onnxruntime.InferenceSession.run``.

Usage::

    opentelemetry-instrument python app.py          # entry point otel_ml_onnxruntime; or in code:

    from otel_ml.instrumentation.onnxruntime import OnnxRuntimeInstrumentor
    OnnxRuntimeInstrumentor().instrument()

One input of shape ``(rows, features)`` gives the rows (features ``f0``, ``f1``, ...); several
inputs of one column each (as skl2onnx writes a model of named columns) give rows named by the
inputs. Of the outputs, an integer or string tensor is the label, a float matrix or a list of
``{class: probability}`` maps (skl2onnx's ZipMap) the probabilities, and a float output with no
label beside it the regression value. The model is named after its file (``churn.onnx`` is
``churn``) or its graph. ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=otel_ml_onnxruntime`` turns it off.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Hashable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from otel_ml import _shutdown
from otel_ml._outputs import RowOutputs
from otel_ml.instrumentation import _monitors
from otel_ml.instrumentation._base import BaseInstrumentor
from otel_ml.instrumentation._calls import call_model
from otel_ml.instrumentation._deferred import when_imported
from otel_ml.instrumentation._estimators import feature_rows, unwrap_method, wrap_method

_SESSIONS = "onnxruntime.capi.onnxruntime_inference_collection"
_logger = logging.getLogger(__name__)
_instruments = ("onnxruntime >= 1.16",)
_NAME_ATTRIBUTE = "_otel_ml_name"


def session_name(session: Any) -> str:
    name = getattr(session, _NAME_ATTRIBUTE, None)
    if name is None:
        path = getattr(session, "_model_path", None)
        if isinstance(path, (str, Path)) and str(path):
            name = Path(path).stem
        else:
            try:
                name = session.get_modelmeta().graph_name or "onnx"
            except Exception:  # noqa: BLE001
                name = "onnx"
        try:
            setattr(session, _NAME_ATTRIBUTE, name)
        except Exception:  # noqa: BLE001
            pass
    return name


def _monitor(session: Any) -> Any:
    return _monitors.monitor_named(session_name(session))


def _inputs(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    output_names = args[0] if args else kwargs.get("output_names")
    feed = args[1] if len(args) > 1 else kwargs.get("input_feed")
    return output_names, feed


def read_session_call(session: Any, method: str, call: Any, result: Any) -> tuple[Any, Hashable | None, RowOutputs]:
    output_names, feed = call
    rows, key, n = _feed_rows(feed)
    if result is None:
        return rows, key, RowOutputs(n or 1)
    names = list(output_names) if output_names else [o.name for o in session.get_outputs()]
    return rows, key, session_outputs(dict(zip(names, result)), n)


def _feed_rows(feed: Any) -> tuple[Any, Hashable | None, int | None]:
    if not isinstance(feed, Mapping) or not feed:
        return None, None, None
    if len(feed) == 1:
        return feature_rows(next(iter(feed.values())))
    columns = {name: np.asarray(value).reshape(len(value), -1)[:, 0] if np.ndim(value) else np.asarray([value])
               for name, value in feed.items()}
    lengths = {len(c) for c in columns.values()}
    if len(lengths) != 1:
        return None, None, None
    n = lengths.pop()
    rows = [{name: column[i].item() if hasattr(column[i], "item") else column[i] for name, column in columns.items()}
            for i in range(n)]
    return rows, ("id", id(feed), n), n


def session_outputs(outputs: dict[str, Any], n: int | None = None) -> RowOutputs:
    """Labels, probabilities and values from a session's named outputs.

    >>> import numpy as np
    >>> out = session_outputs({"label": np.array([1, 0]), "probabilities": [{0: 0.2, 1: 0.8}, {0: 0.6, 1: 0.4}]})
    >>> out.labels, out.confidences
    ([1, 0], [0.8, 0.6])
    >>> session_outputs({"variable": np.array([[2.5], [3.0]])}).values
    [2.5, 3.0]
    """
    labels = confidences = values = None
    for output in outputs.values():
        if isinstance(output, list) and output and isinstance(output[0], Mapping):     # ZipMap
            confidences = [max(float(p) for p in row.values()) for row in output]
            continue
        array = np.asarray(output)
        if array.ndim == 0:
            continue
        if array.dtype.kind in "iuUSOb" and labels is None and (array.ndim == 1 or array.shape[1] == 1):
            labels = array.reshape(array.shape[0]).tolist()
        elif array.dtype.kind == "f" and array.ndim == 2 and array.shape[1] > 1 and confidences is None:
            confidences = array.max(axis=1).tolist()
            if labels is None:
                labels = array.argmax(axis=1).tolist()
        elif array.dtype.kind == "f" and values is None:
            values = array.reshape(array.shape[0], -1)[:, 0].tolist()
    if labels is not None:
        values = None
    rows = len(labels if labels is not None else values if values is not None else confidences or [None] * (n or 1))
    return RowOutputs(rows, labels, confidences, values)


def running(original: Any, method: str) -> Any:
    def monitored(self: Any, *args: Any, **kwargs: Any) -> Any:
        return call_model(_monitor, read_session_call, method, original, self, args, kwargs, _inputs)
    return monitored


class OnnxRuntimeInstrumentor(BaseInstrumentor):
    """Patches ``InferenceSession.run``."""

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def _instrument(self, **kwargs: Any) -> None:
        import importlib.util

        if importlib.util.find_spec("onnxruntime") is None:
            _logger.debug("otel_ml: ONNX Runtime is not installed; nothing to instrument")
            return
        _monitors.use_providers(**kwargs)
        _shutdown.install()                 # a bounded exit, run before the SDK's own exit hooks
        # patched when the app imports it: importing ONNX Runtime here (gunicorn's master, under
        # opentelemetry-instrument) made every forked worker crash at exit (see _deferred)
        self._wanted = True
        when_imported(_SESSIONS, self._patch)

    def _patch(self, module: Any) -> None:
        if getattr(self, "_session", None) is not None or not getattr(self, "_wanted", False):
            return
        self._session = module.Session
        wrap_method(module.Session, "run", running)

    def _uninstrument(self, **kwargs: Any) -> None:
        self._wanted = False
        session = getattr(self, "_session", None)
        if session is not None:
            unwrap_method(session, "run")
            self._session = None
