"""The reference profile: what "no drift" looks like, fitted once from training data.

Numeric columns are kept sorted (the KS test and the quantile ranks read them without sorting
again) with their decile edges; categorical columns keep their categories and frequencies.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> data = {"age": rng.normal(40, 10, 500), "country": rng.choice(["de", "fr"], 500)}
>>> profile = ReferenceProfile.fit(data)
>>> profile.numeric_names, profile.categorical_names
(('age',), ('country',))
>>> sorted(profile.categories["country"])
['de', 'fr']
>>> ReferenceProfile.fit({"flat": np.ones(100)})
Traceback (most recent call last):
...
ValueError: Reference column 'flat' is constant (every value is 1.0): no drift test can use it; leave it out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from otel_ml.drift.ks import columns_sorted

MIN_ROWS = 100
"""Fewer reference rows than this give tests too weak to be worth running (``min_rows`` lowers
it, down to :data:`ABSOLUTE_MIN_ROWS`)."""
ABSOLUTE_MIN_ROWS = 20
"""Below this no test here has a usable null distribution."""


@dataclass(frozen=True)
class ReferenceProfile:
    """Reference distributions of the numeric and categorical features, in feature order."""

    feature_names: tuple[str, ...]
    numeric_names: tuple[str, ...]
    categorical_names: tuple[str, ...]
    numeric_sorted: np.ndarray = field(repr=False)          # (k_numeric, n), each row sorted
    deciles: np.ndarray = field(repr=False)                 # (k_numeric, 9) inner decile edges
    categories: dict[str, tuple[str, ...]] = field(repr=False)
    frequencies: dict[str, np.ndarray] = field(repr=False)  # per categorical: shares in category order
    categorical_rows: int = 0                               # rows behind the categorical shares
    numeric_rows: np.ndarray | None = field(default=None, repr=False)   # (n, k_numeric) in row order

    @property
    def rows(self) -> int:
        """Rows of the numeric reference (0 without numeric columns)."""
        return int(self.numeric_sorted.shape[1]) if self.numeric_names else 0

    def category_counts(self, name: str) -> np.ndarray:
        """The reference's count of each category of ``name``, in category order (the
        two-sample chi-squared test needs the counts, not only the shares)."""
        rows = self.categorical_rows or self.rows or 10**9     # no row count known: shares as exact
        return self.frequencies[name] * rows

    @classmethod
    def fit(cls, data: Any, feature_names: Sequence[str] | None = None,
            categorical: Iterable[str] | None = None, min_rows: int = MIN_ROWS) -> ReferenceProfile:
        """Fit from a mapping of columns, a 2-D array (with ``feature_names``) or a pandas DataFrame.

        Columns of strings (or named in ``categorical``) are categorical; the rest numeric.
        """
        if min_rows < ABSOLUTE_MIN_ROWS:
            raise ValueError(f"min_rows must be at least {ABSOLUTE_MIN_ROWS}, got {min_rows}.")
        columns = _columns(data, feature_names)
        forced = set(categorical or ())
        unknown = forced - set(columns)
        if unknown:
            raise ValueError(f"categorical names features the reference does not have: {sorted(unknown)}.")
        numeric: list[str] = []
        categorical_names: list[str] = []
        numeric_values = []
        categories: dict[str, tuple[str, ...]] = {}
        frequencies: dict[str, np.ndarray] = {}
        for name, raw in columns.items():
            values = np.asarray(raw)
            if values.ndim != 1:
                raise ValueError(f"Reference column {name!r} must be 1-D, got shape {values.shape}.")
            if len(values) < min_rows:
                raise ValueError(too_few_rows(name, len(values), min_rows))
            if name in forced or values.dtype.kind in "OUSb":
                labels, counts = np.unique(values.astype(str), return_counts=True)
                categorical_names.append(name)
                categories[name] = tuple(str(label) for label in labels)
                frequencies[name] = counts / counts.sum()
                continue
            numbers = values.astype(float)
            if not np.all(np.isfinite(numbers)):
                bad = int(np.count_nonzero(~np.isfinite(numbers)))
                raise ValueError(f"Reference column {name!r} has {bad} NaN or infinite values; clean or drop them.")
            if numbers.min() == numbers.max():
                raise ValueError(f"Reference column {name!r} is constant (every value is {numbers[0]}): "
                                 "no drift test can use it; leave it out.")
            numeric.append(name)
            numeric_values.append(numbers)
        lengths = {len(v) for v in numeric_values} | {len(np.asarray(columns[n])) for n in categorical_names}
        if len(lengths) > 1:
            raise ValueError(f"Reference columns have different lengths: {sorted(lengths)}.")
        stacked = np.vstack(numeric_values).T if numeric_values else np.empty((0, 0))
        sorted_columns = columns_sorted(stacked) if numeric_values else np.empty((0, 0))
        deciles = np.quantile(sorted_columns, np.linspace(0.1, 0.9, 9), axis=1).T if numeric_values \
            else np.empty((0, 9))
        return cls(tuple(columns), tuple(numeric), tuple(categorical_names), sorted_columns, deciles,
                   categories, frequencies, lengths.pop() if categorical_names else 0,
                   stacked if numeric_values else None)


def too_few_rows(name: str, rows: int, min_rows: int) -> str:
    """The error for a reference too small to test against, with what to do about it."""
    return (f"Reference column {name!r} has {rows} rows; at least {min_rows} are needed. Fit the reference on "
            f"more rows (a sample of the training or validation data: the tests' noise falls as 1/sqrt(rows); "
            f"see 'Reference size' in docs/drift.md), or pass min_rows={rows} to accept weak tests "
            f"(no fewer than 20 rows).")


def _columns(data: Any, feature_names: Sequence[str] | None) -> dict[str, Any]:
    if isinstance(data, Mapping):
        columns = dict(data)
    elif hasattr(data, "columns") and hasattr(data, "__getitem__") and not isinstance(data, np.ndarray):
        columns = {str(c): np.asarray(data[c]) for c in data.columns}          # a DataFrame
    else:
        array = np.asarray(data)
        if array.ndim != 2:
            raise ValueError(f"Reference data must be 2-D (rows x features), got shape {array.shape}.")
        names = list(feature_names) if feature_names is not None else [f"f{i}" for i in range(array.shape[1])]
        if len(names) != array.shape[1]:
            raise ValueError(f"{len(names)} feature names for {array.shape[1]} reference columns.")
        columns = {name: array[:, i] for i, name in enumerate(names)}
    if feature_names is not None and isinstance(data, Mapping):
        missing = [name for name in feature_names if name not in columns]
        if missing:
            raise ValueError(f"The reference has no column for features {missing}.")
        columns = {name: columns[name] for name in feature_names}
    if not columns:
        raise ValueError("The reference has no columns.")
    return columns
