"""Loading a drift reference from a file named in ``OTEL_ML_REFERENCE``: ``.npy`` or ``.csv``
(with a header row of feature names)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np


def load_reference(path: str, feature_names: Sequence[str] | None = None) -> Any:
    from otel_ml.drift import DriftProcessor

    file = Path(path)
    if not file.exists():
        raise ValueError(f"OTEL_ML_REFERENCE names {path!r}, which does not exist.")
    if file.suffix == ".npy":
        return DriftProcessor.fit(np.load(file), feature_names)
    if file.suffix == ".csv":
        data = np.genfromtxt(file, delimiter=",", names=True, dtype=float, encoding="utf-8")
        return DriftProcessor.fit({name: data[name] for name in data.dtype.names}, feature_names)
    raise ValueError(f"OTEL_ML_REFERENCE must be a .npy or .csv file, got {path!r}.")
