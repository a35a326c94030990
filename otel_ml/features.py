"""Checking a prediction's features without slowing it down, and choosing which raw values a
log record may carry.

A row of features is a sequence (list, tuple, 1-D array) in the order of ``feature_names``, or a
mapping from name to value. The common case, every value a finite number, costs one ``sum``;
only a row that fails it is looked at value by value.

>>> check = FeatureCheck(["age", "income"])
>>> check.problems([31, 52000.0])
[]
>>> check.problems([float("nan"), None])
[('age', 'nan'), ('income', 'missing')]
>>> check.problems({"age": 31})
[('income', 'missing')]
>>> check.problems([1, 2, 3])
[('(row)', 'wrong_length')]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

ROW = "(row)"
"""Feature name used for problems of the whole row (wrong length, not a row at all)."""

Redactor = Callable[[dict[str, Any]], dict[str, Any]]


def as_row(features: Any) -> Sequence[Any] | Mapping[str, Any]:
    """A plain list or mapping from whatever the user passed (arrays become lists)."""
    if isinstance(features, Mapping):
        return features
    tolist = getattr(features, "tolist", None)
    if tolist is not None:  # numpy array or scalar, pandas Series
        row = tolist()
        return row if isinstance(row, list) else [row]
    if isinstance(features, (list, tuple)):
        return features
    return list(features)


class FeatureCheck:
    """Finds NaN, inf, missing and non-numeric values in a row of features."""

    def __init__(self, feature_names: Sequence[str] | None = None) -> None:
        self.feature_names = tuple(feature_names) if feature_names is not None else None

    def problems(self, features: Any) -> list[tuple[str, str]]:
        """``(feature name, problem)`` pairs; empty for a clean row. Never raises: a row that
        cannot be read at all (not iterable, or its iteration raises) is ``not_a_row``."""
        try:
            return self._problems(as_row(features))
        except Exception:  # noqa: BLE001 - a hostile object: iteration, len() or comparison raised
            return [(ROW, "not_a_row")]

    def _problems(self, row: Sequence[Any] | Mapping[str, Any]) -> list[tuple[str, str]]:
        if isinstance(row, Mapping):
            if self.feature_names is None:          # the row names its own features
                values: Sequence[Any] = list(row.values())
                names: Sequence[str] = tuple(row)
            else:
                names = self.feature_names
                values = [row.get(name) for name in names]
        else:
            values = row
            if self.feature_names is not None and len(row) != len(self.feature_names):
                return [(ROW, "wrong_length")]
        try:
            if math.isfinite(sum(values)):
                return []
        except Exception:  # noqa: BLE001 - TypeError, OverflowError, or a hostile __add__
            pass
        if not isinstance(row, Mapping):
            names = self.feature_names or tuple(f"f{i}" for i in range(len(row)))
        found = []
        for name, value in zip(names, values):
            problem = value_problem(value)
            if problem is not None:
                found.append((name, problem))
        return found


def value_problem(value: Any) -> str | None:
    """What is wrong with one feature value, or ``None`` when it is a finite number."""
    if value is None:
        return "missing"
    try:
        number = float(value)
    except OverflowError:                # an integer past a float's range
        return "inf"
    except Exception:  # noqa: BLE001 - TypeError, ValueError, or a __float__ of any kind
        return "not_numeric"
    if math.isnan(number):
        return "nan"
    if math.isinf(number):
        return "inf"
    return None


class FeatureCapture:
    """Selects the raw feature values a log record may carry: none by default (privacy).

    ``keep`` is ``True`` for every feature or a set of names; ``redact`` is a hook applied to the
    selected values last, to mask or drop what must not leave the process.

    >>> FeatureCapture(["age", "ssn"], keep=False).select([31, "123"]) is None
    True
    >>> FeatureCapture(["age", "ssn"], keep={"age"}).select([31, "123"])
    {'age': 31}
    >>> mask = lambda values: {k: ("***" if k == "ssn" else v) for k, v in values.items()}
    >>> FeatureCapture(["age", "ssn"], keep=True, redact=mask).select([31, "123"])
    {'age': 31, 'ssn': '***'}
    """

    def __init__(self, feature_names: Sequence[str] | None, keep: bool | Iterable[str] = False,
                 redact: Redactor | None = None) -> None:
        self.feature_names = tuple(feature_names) if feature_names is not None else None
        self.keep: bool | frozenset[str] = keep if isinstance(keep, bool) else frozenset(keep)
        self.redact = redact

    @property
    def enabled(self) -> bool:
        return bool(self.keep)

    def select(self, features: Any) -> dict[str, Any] | None:
        if not self.keep:
            return None
        row = as_row(features)
        if isinstance(row, Mapping):
            values = dict(row)
        else:
            names = self.feature_names or tuple(f"f{i}" for i in range(len(row)))
            values = dict(zip(names, row))
        if self.keep is not True:
            values = {k: v for k, v in values.items() if k in self.keep}
        values = {str(k): loggable(v) for k, v in values.items()}
        return self.redact(values) if self.redact is not None else values


_INT64 = 2 ** 63
MAX_TEXT = 1024
"""Longest text otel_ml puts on a span or log record for a value it was given (a label, a
captured feature); longer ones are cut and end with ``…``."""


def loggable(value: Any) -> bool | int | float | str | None:
    """A value as a span or log attribute can carry it: numbers that OTLP can encode (an integer
    past 64 bits becomes its text), text cut to :data:`MAX_TEXT`; never raises.

    >>> loggable(3), loggable(10 ** 30), loggable("x" * 2000)[-3:]
    (3, '1000000000000000000000000000000', 'xx…')
    """
    try:
        if value is None or isinstance(value, (bool, float)):
            return value
        if isinstance(value, int):
            return value if -_INT64 <= value < _INT64 else short_text(str(value))
        if isinstance(value, str):
            return short_text(value)
        item = getattr(value, "item", None)  # numpy scalar
        if item is not None:
            return loggable(item())
        return short_text(str(value))
    except Exception:  # noqa: BLE001 - a hostile __str__, or nesting too deep to print
        return f"<{type(value).__name__}>"


def short_text(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"
