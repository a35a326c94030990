"""Checking request bodies before they reach the model: every problem is a 4xx with a clear message.

>>> names = ("a", "b")
>>> features(b'{"features": {"a": 1, "b": 2.5}}', names)
array([1. , 2.5])
>>> features(b'{"features": {"a": "x", "b": NaN}}', names)
Traceback (most recent call last):
...
otel_ml.demo.validation.InvalidRequest: 422: feature 'a' must be a number, got str; feature 'b' is NaN or infinite
>>> features(b'{"features": {"a": 1}}', names).__class__
Traceback (most recent call last):
...
otel_ml.demo.validation.InvalidRequest: 422: missing feature 'b'
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

MAX_BODY_BYTES = 16 * 1024
"""Largest request body the demo accepts (``413`` above it)."""
MAX_MAGNITUDE = 1e6
"""Largest absolute value of a feature or a conversion value (the data's features are below 5,000):
beyond it a value is refused (``422``), before a model overflows on it or a sum becomes infinite."""


class InvalidRequest(ValueError):
    """A request the service answers with ``status`` and ``problems`` (one message each)."""

    def __init__(self, status: int, problems: Sequence[str]) -> None:
        self.status = status
        self.problems = list(problems)
        super().__init__(f"{status}: " + "; ".join(self.problems))

    def body(self) -> dict[str, Any]:
        """An RFC 9457 problem document."""
        titles = {400: "Malformed request", 401: "Unauthorized", 404: "Not found", 405: "Method not allowed",
                  409: "Already recorded", 413: "Request body too large", 415: "Unsupported media type",
                  422: "Invalid request", 503: "Unavailable"}
        return {"type": "about:blank", "title": titles.get(self.status, "Bad request"), "status": self.status,
                "detail": "; ".join(self.problems), "errors": self.problems}


def json_object(body: bytes) -> dict[str, Any]:
    """Parse ``body`` as one JSON object. ``NaN``/``Infinity`` tokens parse (as Python does) and
    are refused later, field by field, with the field's name."""
    if len(body) > MAX_BODY_BYTES:
        raise InvalidRequest(413, [f"the body is {len(body)} bytes; the limit is {MAX_BODY_BYTES}"])
    if not body.strip():
        raise InvalidRequest(400, ["the body is empty; send a JSON object"])
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:      # also an integer past 4,300 digits
        raise InvalidRequest(400, [f"the body is not valid JSON: {exc}"]) from None
    except RecursionError:
        raise InvalidRequest(400, ["the body is nested too deep"]) from None
    if not isinstance(value, dict):
        raise InvalidRequest(422, [f"expected a JSON object, got {type(value).__name__}"])
    return value


def number(value: Any, what: str) -> float:
    """A finite float, or the message saying why not.

    >>> number(True, "x")
    Traceback (most recent call last):
    ...
    ValueError: x must be a number, got bool
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} must be a number, got {type(value).__name__ if value is not None else 'null'}")
    try:
        number = float(value)
    except OverflowError:                       # an integer of hundreds of digits
        raise ValueError(f"{what} must be within ±{MAX_MAGNITUDE:g}") from None
    if not math.isfinite(number):
        raise ValueError(f"{what} is NaN or infinite")
    if abs(number) > MAX_MAGNITUDE:
        raise ValueError(f"{what} must be within ±{MAX_MAGNITUDE:g}")
    return number


def features(body: bytes, names: Sequence[str]) -> np.ndarray:
    """The feature row of a ``/predict`` body ``{"features": {name: number, ...}}``, in ``names`` order."""
    payload = json_object(body)
    given = payload.get("features")
    if not isinstance(given, dict):
        raise InvalidRequest(422, ['expected {"features": {"<name>": <number>, ...}}'])
    problems = [f"missing feature {n!r}" for n in names if n not in given]
    problems += [f"unknown feature {n!r}" for n in given if n not in names]
    row = np.empty(len(names))
    for i, name in enumerate(names):
        if name in given:
            try:
                row[i] = number(given[name], f"feature {name!r}")
            except ValueError as exc:
                problems.append(str(exc))
    if problems:
        raise InvalidRequest(422, problems)
    return row


def alerts(payload: dict[str, Any]) -> dict[str, Any]:
    """An Alertmanager or Grafana webhook payload: ``alerts``, a list of objects whose ``labels``
    (and ``annotations``) map names to strings, and whose ``status`` and ``startsAt`` are strings."""
    given = payload.get("alerts")
    if not isinstance(given, list):
        raise InvalidRequest(422, ["expected a JSON object with an 'alerts' list (Alertmanager or Grafana webhook)"])
    problems = []
    for i, alert in enumerate(given):
        if not isinstance(alert, dict):
            problems.append(f"alerts[{i}] must be an object")
            continue
        for key in ("labels", "annotations"):
            value = alert.get(key, {})
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                problems.append(f"alerts[{i}].{key} must map names to strings")
        for key in ("status", "startsAt"):
            if key in alert and not isinstance(alert[key], str):
                problems.append(f"alerts[{i}].{key} must be a string")
    if problems:
        raise InvalidRequest(422, problems)
    return payload


def fields(body: bytes, required: dict[str, type | tuple[type, ...]]) -> dict[str, Any]:
    """The named fields of a JSON object body, each of the given type (numbers must be finite)."""
    payload = json_object(body)
    problems = []
    for name, kind in required.items():
        if name not in payload:
            problems.append(f"missing field {name!r}")
        elif kind in (float, (int, float)):
            try:
                payload[name] = number(payload[name], f"field {name!r}")
            except ValueError as exc:
                problems.append(str(exc))
        elif not isinstance(payload[name], kind) or isinstance(payload[name], bool) and kind is not bool:
            problems.append(f"field {name!r} must be {getattr(kind, '__name__', kind)}, "
                            f"got {type(payload[name]).__name__}")
    if problems:
        raise InvalidRequest(422, problems)
    return payload
