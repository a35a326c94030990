"""Fit once, ship the reference: a drift processor's reference profile, settings and calibration
in one ``.npz`` file that every worker and replica loads in milliseconds, instead of fitting and
calibrating at start (seconds of CPU per worker).

The file holds arrays and one JSON document, no pickle: ``numpy.load(..., allow_pickle=False)``
reads it, so loading a file from elsewhere runs no code.

>>> import numpy as np, tempfile, pathlib
>>> from otel_ml.drift import DriftProcessor
>>> drift = DriftProcessor.fit(np.random.default_rng(0).normal(size=(500, 2)), ["a", "b"], threshold=1e-6)
>>> path = pathlib.Path(tempfile.mkdtemp()) / "reference.npz"
>>> drift.save(path)
>>> loaded = DriftProcessor.load(path)
>>> loaded.reference.feature_names, loaded.threshold
(('a', 'b'), 1e-06)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from otel_ml.drift.calibration import Calibration
from otel_ml.drift.performance import PerformanceEstimator
from otel_ml.drift.reference import ReferenceProfile
from otel_ml.drift.result import Correction

if TYPE_CHECKING:
    from otel_ml.drift.processor import DriftProcessor

FORMAT = "otel-ml-drift-reference/2"
FORMAT_1 = "otel-ml-drift-reference/1"
"""Files of otel-ml before the scan and the joint check: loaded with both off, so that their
calibration still holds (pass ``scan=True`` to calibrate again with the scan)."""
SETTINGS = ("window_size", "long_window_size", "check_every", "check_interval", "min_check_interval", "alpha",
            "expected_samples_between_false_alarms", "calibration_blocks", "seed", "distances", "scan",
            "scan_windows", "multivariate")
CALIBRATED_BY = ("window_size", "long_window_size", "check_every", "expected_samples_between_false_alarms",
                 "calibration_blocks", "seed", "scan", "scan_windows", "multivariate")
"""The settings a calibration depends on: changing one at load time calibrates again."""


def is_saved_reference(path: str | Path) -> bool:
    try:
        with np.load(path, allow_pickle=False) as data:
            return "meta" in data.files and json.loads(str(data["meta"]))["format"] in (FORMAT, FORMAT_1)
    except Exception:  # noqa: BLE001 - not a file of ours
        return False


def save(processor: DriftProcessor, path: str | Path) -> None:
    reference = processor.reference
    meta = {
        "format": FORMAT,
        "feature_names": list(reference.feature_names),
        "numeric_names": list(reference.numeric_names),
        "categorical_names": list(reference.categorical_names),
        "categories": {name: list(values) for name, values in reference.categories.items()},
        "categorical_rows": reference.categorical_rows,
        "settings": {name: _plain(getattr(processor, name)) for name in SETTINGS},
        "correction": processor.correction.name,
        "threshold": processor._threshold,
        "calibration": None if processor.calibration is None else vars(processor.calibration),
        "performance": None if processor.performance is None else processor.performance.to_json(),
    }
    arrays = {f"frequencies_{i}": reference.frequencies[name] for i, name in enumerate(reference.categorical_names)}
    with open(path, "wb") as file:                  # np.savez would append .npz to another suffix
        arrays.update(meta=np.array(json.dumps(meta)), numeric_sorted=reference.numeric_sorted,
                      deciles=reference.deciles)
        if reference.numeric_rows is not None:
            arrays["numeric_rows"] = reference.numeric_rows
        np.savez_compressed(file, allow_pickle=False, **arrays)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def load(path: str | Path, **overrides: Any) -> DriftProcessor:
    from otel_ml.drift.processor import DriftProcessor

    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ValueError(f"{str(path)!r} is not a saved drift reference: {error}") from None
    with data:
        if "meta" not in data.files:
            raise ValueError(f"{str(path)!r} is not a saved drift reference (no otel-ml metadata).")
        meta = json.loads(str(data["meta"]))
        if meta.get("format") not in (FORMAT, FORMAT_1):
            raise ValueError(f"{str(path)!r} is a drift reference of format {meta.get('format')!r}; "
                             f"this otel-ml reads {FORMAT!r}: save it again with this version.")
        categorical = meta["categorical_names"]
        reference = ReferenceProfile(
            tuple(meta["feature_names"]), tuple(meta["numeric_names"]), tuple(categorical),
            data["numeric_sorted"], data["deciles"],
            {name: tuple(values) for name, values in meta["categories"].items()},
            {name: data[f"frequencies_{i}"] for i, name in enumerate(categorical)},
            int(meta.get("categorical_rows", 0)), data["numeric_rows"] if "numeric_rows" in data.files else None)
    settings = {**meta["settings"], "correction": Correction[meta["correction"]]}
    if meta["format"] == FORMAT_1:
        settings.update(scan=False, multivariate=False)
    if "scan_windows" in settings:
        settings["scan_windows"] = tuple(settings["scan_windows"])
    recalibrate = any(name in overrides and _plain(overrides[name]) != _plain(settings.get(name))
                      for name in CALIBRATED_BY)
    settings.update(overrides)
    if not recalibrate and "threshold" not in overrides:
        settings["threshold"] = meta["threshold"]
    if meta.get("performance") is not None and "performance" not in overrides:
        settings["performance"] = PerformanceEstimator.from_json(meta["performance"])
    processor = DriftProcessor(reference, **settings)
    if not recalibrate and meta["calibration"] is not None:
        processor.calibration = Calibration(**meta["calibration"])
    return processor
