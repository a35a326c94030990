"""What one prediction carries between its start and its end, and where its row goes after.

:class:`InFlight` is the recorder's state of one prediction, held by the :class:`Prediction`
handle and handed back to the recorder (the recorder never writes the handle's private slots);
:class:`DriftFeed` is the shape of what takes each successful prediction's row.
"""

from __future__ import annotations

from contextvars import Token
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from opentelemetry.trace import Span

if TYPE_CHECKING:
    from otel_ml._attributes import ModelAttributes


class DriftFeed(Protocol):
    """What takes each successful prediction's row: :meth:`otel_ml.drift.DriftProcessor.update`."""

    def update(self, features: Any, prediction: Any = None, confidence: Any = None) -> object: ...


@dataclass(slots=True)
class InFlight:
    """What the recorder keeps of one prediction between :meth:`PredictionRecorder.start` and
    :meth:`~PredictionRecorder.finish`; the :class:`Prediction` handle holds it for the recorder."""

    started: float
    attributes: ModelAttributes | None = None
    """The model's attributes when the prediction started; ``None`` if starting failed."""
    span: Span | None = None
    owns_span: bool = True
    """False when the prediction is recorded on a span it did not start (the HTTP server span)."""
    token: object | None = None
    """The context token of the prediction's span, detached at the end."""
    inside: Token[bool] | None = None
    """The token of ``INSIDE_MODEL_CALL``, reset at the end."""
