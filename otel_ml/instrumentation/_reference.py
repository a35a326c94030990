"""Loading a drift reference from a file named in ``OTEL_ML_REFERENCE``: a reference saved by
``otel-ml reference`` / :meth:`DriftProcessor.save` (``.npz``: loaded in milliseconds, already
calibrated), or reference data to fit at start: ``.npy``, ``.csv`` (a header row of feature
names) or ``.parquet`` (with pandas and pyarrow)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def read_table(path: str | Path, feature_names: Sequence[str] | None = None) -> Any:
    """Reference data from a file: a 2-D array (``.npy``) or columns by name (``.csv``, ``.parquet``)."""
    file = Path(path)
    if not file.exists():
        raise ValueError(f"{str(path)!r} does not exist.")
    if file.suffix == ".npy":
        return np.load(file, allow_pickle=False)
    if file.suffix == ".csv":
        data = np.genfromtxt(file, delimiter=",", names=True, dtype=None, encoding="utf-8")
        return {name: data[name] for name in data.dtype.names or ()}
    if file.suffix == ".parquet":
        try:
            import pandas as pd
        except ImportError:
            raise ValueError("Reading a .parquet reference needs pandas and pyarrow (pip install pandas pyarrow).") \
                from None
        return pd.read_parquet(file)
    raise ValueError(f"A reference must be a .npz (saved), .npy, .csv or .parquet file, got {str(path)!r}.")


def load_reference(path: str, feature_names: Sequence[str] | None = None) -> Any:
    from otel_ml.drift import DriftProcessor
    from otel_ml.drift.persistence import is_saved_reference

    if not Path(path).exists():
        raise ValueError(f"OTEL_ML_REFERENCE names {path!r}, which does not exist.")
    if Path(path).suffix == ".npz" or is_saved_reference(path):
        return DriftProcessor.load(path)
    return DriftProcessor.fit(read_table(path, feature_names), feature_names)
