"""Reading predictions out of HTTP bodies: the features of a request (one row, or a list of rows
for a batch), and per row the label, confidence (or probability vector) and value of the
response; the ids of predictions the app returns; outcomes posted back.

Where to look is a JMESPath expression (https://jmespath.org), which reaches into lists and
nested objects: ``inputs.rows``, ``predictions[*].label``, ``result.probabilities``. Without
one, the usual places are tried (see :mod:`otel_ml.environment_variables`).

>>> reading = Reading()
>>> reading.features_of({"features": [[1, 2], [3, 4]]})
([[1, 2], [3, 4]], True)
>>> reading.features_of({"age": 31, "income": 5.2e4})            # the body is one row
([{'age': 31, 'income': 52000.0}], False)
>>> reading.outputs_of({"predictions": [0, 2, 1]}).labels
[0, 2, 1]
>>> out = reading.outputs_of({"prediction": [[0.1, 0.9]]})       # predict_proba, nested
>>> out.labels, out.confidences
([1], [0.9])
>>> Reading(label=compile_path("result.cls")).outputs_of({"result": {"cls": "b"}}).labels
['b']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from otel_ml._outputs import CONFIDENCE_KEYS, LABEL_KEYS, VALUE_KEYS, RowOutputs, Task, one

Extractor = Callable[[Any], Any]
OutputReader = Callable[[Any], "tuple[Any, Any, Any]"]
FEATURE_KEYS = ("features", "instances", "inputs", "data", "rows", "X", "x")
PREDICTION_KEYS = ("predictions", "prediction", "labels", "label", "classes", "class", "outputs", "output",
                   "results", "result", "y")
ROW_CONFIDENCE_KEYS = ("confidences", *CONFIDENCE_KEYS, "probas")
ROW_VALUE_KEYS = ("values", *VALUE_KEYS)
ACTUAL_KEYS = ("actual", "label", "outcome", "ground_truth", "y")


def compile_path(expression: str, setting: str = "path") -> Extractor:
    """A function of a JSON document that answers what ``expression`` (JMESPath) finds, or None.

    >>> compile_path("inputs.row")({"inputs": {"row": [1, 2]}}), compile_path("a")("not json")
    ([1, 2], None)
    >>> compile_path("a[", "OTEL_ML_LABEL_PATH")
    Traceback (most recent call last):
    ValueError: OTEL_ML_LABEL_PATH: 'a[' is not a JMESPath expression (https://jmespath.org): ...
    """
    try:
        import jmespath
        from jmespath.exceptions import JMESPathError
    except ImportError:
        raise ValueError(f"{setting}: reading a path needs the jmespath package "
                         "(pip install 'otel-ml[flask]' or 'otel-ml[fastapi]' brings it).") from None
    try:
        compiled = jmespath.compile(expression)
    except JMESPathError as error:
        raise ValueError(f"{setting}: {expression!r} is not a JMESPath expression (https://jmespath.org): "
                         f"{str(error).splitlines()[0]}") from None

    def find(document: Any) -> Any:
        try:
            return compiled.search(document)
        except Exception:  # noqa: BLE001 - a document of another shape: nothing there
            return None

    return find


def _first(document: Mapping[str, Any], keys: Sequence[str]) -> Any:
    return next((document[k] for k in keys if k in document), None)


def _is_row(value: Any) -> bool:
    return isinstance(value, (list, dict))


@dataclass(frozen=True)
class Reading:
    """Where one app's features, outputs and prediction ids are; each ``None`` means the usual places."""

    features: Extractor | None = None
    label: Extractor | None = None
    confidence: Extractor | None = None
    value: Extractor | None = None
    prediction_ids: Extractor | None = None
    output: OutputReader | None = None
    task: Task = "auto"

    # ------------------------------------------------------------------ requests
    def features_of(self, document: Any) -> tuple[list[Any] | None, bool]:
        """``(rows, is_batch)``: the request's rows of features (``None`` when there are none)."""
        if self.features is not None:
            found = self.features(document)
        elif isinstance(document, Mapping):
            found = _first(document, FEATURE_KEYS)
            if found is None and document and not any(_is_row(v) for v in document.values()):
                found = dict(document)                   # the body is one row of named features
        else:
            found = document
        return as_rows(found)

    # ------------------------------------------------------------------ responses
    def outputs_of(self, document: Any) -> RowOutputs:
        """The response's predictions, one entry per row."""
        if self.output is not None:
            label, confidence, value = self.output(document)
            return per_row(label, confidence, value, self.task)
        if self.label is None and self.confidence is None and self.value is None:
            return default_outputs(document, self.task)
        return per_row(self.label(document) if self.label else None,
                       self.confidence(document) if self.confidence else None,
                       self.value(document) if self.value else None, self.task)

    def ids_of(self, document: Any) -> list[str] | None:
        """Prediction ids the app returned (with :envvar:`OTEL_ML_PREDICTION_ID_PATH`), one per row."""
        if self.prediction_ids is None:
            return None
        found = self.prediction_ids(document)
        if found is None:
            return None
        items = found if isinstance(found, list) else [found]
        return [str(i) for i in items if isinstance(i, (str, int)) and not isinstance(i, bool)] or None


def as_rows(found: Any) -> tuple[list[Any] | None, bool]:
    """A list of rows (lists or objects) is a batch; one list or object is one row.

    >>> as_rows([1, 2]), as_rows([[1, 2]]), as_rows(None)
    (([[1, 2]], False), ([[1, 2]], True), (None, False))
    """
    if found is None:
        return None, False
    if isinstance(found, list) and found and all(_is_row(item) for item in found):
        return found, True
    if _is_row(found):
        return [found], False
    return [[found]], False


def default_outputs(document: Any, task: Task = "auto") -> RowOutputs:
    """The predictions of a response of a usual shape."""
    if isinstance(document, list):
        return _items(document, task)
    if isinstance(document, Mapping):
        predicted = _first(document, PREDICTION_KEYS)
        if isinstance(predicted, Mapping):
            return default_outputs(predicted, task)
        if isinstance(predicted, list) and predicted and all(isinstance(p, Mapping) for p in predicted):
            return _items(predicted, task)
        return per_row(predicted, _first(document, ROW_CONFIDENCE_KEYS), _first(document, ROW_VALUE_KEYS), task)
    return per_row(document, None, None, task)


def _items(items: list[Any], task: Task) -> RowOutputs:
    rows = []
    for item in items:
        if isinstance(item, Mapping):
            rows.append(one(_first(item, (*PREDICTION_KEYS, *LABEL_KEYS)), _first(item, ROW_CONFIDENCE_KEYS),
                            _first(item, ROW_VALUE_KEYS), task))
        elif isinstance(item, list):
            rows.append(one(None, item, None, task))             # a row of probabilities
        else:
            rows.append(one(item, None, None, task))
    return _columns(rows)


def _is_vector(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                           for v in value)


def per_row(label: Any, confidence: Any, value: Any, task: Task = "auto") -> RowOutputs:
    """Line up a label, a confidence and a value that may each be one entry or a list of entries.

    >>> per_row([0, 1], [0.9, 0.6], None).confidences
    [0.9, 0.6]
    >>> per_row(None, [[0.2, 0.8], [0.7, 0.3]], None).labels
    [1, 0]
    >>> per_row("cat", [0.1, 0.9], None).confidences           # one row, its probability vector
    [0.9]
    """
    n = None
    for part in (label, value):
        if isinstance(part, list):
            n = len(part)
            break
    if n is None and isinstance(confidence, list) and confidence and all(isinstance(c, list) for c in confidence):
        n = len(confidence)
    if n is None:
        return _columns([one(label, confidence, value, task)])
    if isinstance(confidence, list) and _is_vector(confidence) and len(confidence) != n:
        confidence = [confidence] if n == 1 else None                  # one vector for one row
    rows = [one(_at(label, i), _at(confidence, i), _at(value, i), task) for i in range(n)]
    return _columns(rows)


def _at(part: Any, i: int) -> Any:
    if isinstance(part, list):
        return part[i] if i < len(part) else None
    return part if i == 0 else None


def _columns(rows: list[tuple[Any, Any, Any]]) -> RowOutputs:
    if not rows:                        # an empty answer to a prediction request: one prediction, unread
        return RowOutputs(1)
    labels = [r[0] for r in rows]
    confidences = [r[1] for r in rows]
    values = [r[2] for r in rows]
    return RowOutputs(len(rows),
                      labels if any(v is not None for v in labels) else None,
                      confidences if any(v is not None for v in confidences) else None,
                      values if any(v is not None for v in values) else None)


def form_row(fields: Mapping[str, str]) -> dict[str, Any]:
    """A form's fields as one row: numbers where they read as numbers.

    >>> form_row({"age": "31", "plan": "gold"})
    {'age': 31.0, 'plan': 'gold'}
    """
    row: dict[str, Any] = {}
    for key, raw in fields.items():
        try:
            row[key] = float(raw)
        except (TypeError, ValueError):
            row[key] = raw
    return row


def outcomes_of(document: Any, id_path: Extractor | None, actual_path: Extractor | None) -> list[tuple[str, Any]]:
    """``(prediction id, actual)`` pairs from an outcome request's body (one object or a list).

    >>> outcomes_of({"prediction_id": "ab", "actual": 1}, None, None)
    [('ab', 1)]
    """
    items = document if isinstance(document, list) else [document]
    found = []
    for item in items:
        prediction_id = id_path(item) if id_path is not None else \
            (item.get("prediction_id") if isinstance(item, Mapping) else None)
        actual = actual_path(item) if actual_path is not None else \
            (_first(item, ACTUAL_KEYS) if isinstance(item, Mapping) else None)
        if isinstance(prediction_id, (str, int)) and not isinstance(prediction_id, bool) and actual is not None:
            found.append((str(prediction_id), actual))
    return found
