"""``monitor.wrap(model)``: a scikit-learn style model whose predictions are monitored.

``predict(X)`` and ``predict_proba(X)`` of the wrapped model are called unchanged; each call is
one prediction span, and each row of ``X`` one prediction on the metrics (label, confidence from
``predict_proba``, duration shared out over the rows) and one row for the drift processor.
Every other attribute is the model's own.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class MonitoredModel:
    def __init__(self, model: Any, monitor: Any) -> None:
        self._model = model
        self._monitor = monitor

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def predict(self, X: Any, *args: Any, **kwargs: Any) -> Any:
        return self._call("predict", X, args, kwargs)

    def predict_proba(self, X: Any, *args: Any, **kwargs: Any) -> Any:
        return self._call("predict_proba", X, args, kwargs)

    def _call(self, method: str, X: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        rows = np.asarray(X) if not hasattr(X, "iloc") else X.to_numpy()
        single = rows.ndim == 1
        batch = rows[None, :] if single else rows
        with self._monitor.predict(batch[0] if len(batch) == 1 else batch) as p:
            result = getattr(self._model, method)(X, *args, **kwargs)
            try:
                outputs = np.asarray(result)
                labels, confidences = _labels(self._model, method, outputs)
                if len(batch) == 1:
                    p.record(labels[0], confidence=confidences[0] if confidences is not None else None)
                else:
                    p.record_batch(labels, confidences=confidences)
            except Exception as exc:  # noqa: BLE001
                self._monitor._problems.report("unreadable_output", exc=exc)
        return result


def _labels(model: Any, method: str, outputs: np.ndarray) -> tuple[list[Any], list[float] | None]:
    if method == "predict_proba":
        classes = getattr(model, "classes_", None)
        best = outputs.argmax(axis=1)
        labels = [classes[i] if classes is not None else int(i) for i in best]
        return labels, outputs.max(axis=1).tolist()
    return outputs.reshape(-1).tolist(), None
