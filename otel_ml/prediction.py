"""The handle of one monitored prediction: a context manager that the model's code fills in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types import TracebackType

    from otel_ml._inflight import InFlight
    from otel_ml._recorder import PredictionRecorder


class Prediction:
    """One prediction in progress; returned by :meth:`ModelMonitor.predict`.

    Inside the ``with`` block the prediction's span is the current span, so spans the model
    starts are its children. Call :meth:`record` with what the model answered. When the block
    ends, the span, the metrics and the log record go out; an exception raised in the block is
    recorded (status ``error``, ``error.type``) and re-raised unchanged.

    Attributes
    ----------
    id : str
        The prediction id: hand it to the client so that ground truth and business events can
        be tied back with :meth:`ModelMonitor.record_outcome` and
        :meth:`ModelMonitor.record_business_event`. With a signing key (``OTEL_ML_PREDICTION_ID_KEY``)
        it is a signed id, set by :meth:`record`, that any process with the key can match.
    """

    __slots__ = ("id", "features", "label", "confidence", "value", "error_type", "batch", "_recorder", "_state")

    def __init__(self, recorder: PredictionRecorder, prediction_id: str, features: Any) -> None:
        self.id = prediction_id
        self.features = features
        self.label: Any = None
        self.confidence: Any = None
        self.value: Any = None
        self.error_type: str | None = None
        self.batch: tuple[Any, Any, Any] | None = None
        self._recorder = recorder
        self._state: InFlight | None = None

    def record(self, label: Any = None, *, confidence: Any = None, value: Any = None) -> None:
        """Say what the model predicted: a class ``label`` (with its ``confidence``), or a
        regression ``value``. Bad values (NaN confidence, a confidence above 1) are counted and
        left out; they never raise."""
        self.label = label
        self.confidence = confidence
        self.value = value
        if self._recorder.signer is not None and self._state is not None:
            self._recorder.sign_recorded(self, self._state)

    def record_batch(self, labels: Any = None, *, confidences: Any = None, values: Any = None) -> None:
        """Say what the model predicted for each row of a batch (``features`` is then 2-D): each row
        counts as one prediction on the metrics and the drift processor; the batch is one span
        and one log record."""
        self.batch = (labels, confidences, values)

    def fail(self, error_type: str) -> None:
        """Mark the prediction failed without raising, e.g. when the model returned a fallback."""
        self.error_type = error_type

    def __enter__(self) -> Prediction:
        self._state = self._recorder.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._state is not None:
            self._recorder.finish(self, self._state, exc)
            self._state = None

    def __repr__(self) -> str:
        return f"Prediction(id={self.id!r}, label={self.label!r}, confidence={self.confidence!r}, value={self.value!r})"
