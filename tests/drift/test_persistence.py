"""otel_ml/drift/persistence.py and `otel-ml reference`: fit and calibrate once, load anywhere."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from otel_ml.drift import DriftProcessor
from otel_ml.instrumentation import _monitors

SETTINGS = dict(window_size=200, long_window_size=0, check_every=50, background=False,
                expected_samples_between_false_alarms=1e5, calibration_blocks=20)


def stream(rng, shift_at: int, n: int = 1200):
    rows = rng.normal(size=(n, 3))
    rows[shift_at:, 1] += 0.8
    return rows


def test_a_loaded_reference_decides_exactly_as_the_one_saved(tmp_path):
    rng = np.random.default_rng(11)
    reference = rng.normal(size=(1000, 3))
    fitted = DriftProcessor.fit(reference, ["a", "b", "c"], **SETTINGS)
    fitted.save(tmp_path / "ref.npz")
    loaded = DriftProcessor.load(tmp_path / "ref.npz", background=False)
    assert loaded.calibration == fitted.calibration and loaded.threshold == fitted.threshold
    loaded.calibrate = lambda *a: pytest.fail("a loaded reference must not calibrate again")   # type: ignore
    verdicts = []
    for drift in (fitted, loaded):
        flips = []
        for i, row in enumerate(stream(np.random.default_rng(5), 600)):
            drift.update(row)
            if drift.report is not None:
                flips.append((i, drift.report.drifted))
        verdicts.append(flips)
    assert verdicts[0] == verdicts[1] and any(d == ("b",) for _, d in verdicts[0])


def test_categories_and_settings_survive(tmp_path):
    rng = np.random.default_rng(2)
    data = {"x": rng.normal(size=600), "plan": rng.choice(["free", "pro", "team"], size=600, p=[0.6, 0.3, 0.1])}
    fitted = DriftProcessor.fit(data, threshold=1e-7, window_size=100, long_window_size=0, check_every=20)
    fitted.save(tmp_path / "ref.npz")
    loaded = DriftProcessor.load(tmp_path / "ref.npz")
    assert loaded.reference.categories == fitted.reference.categories
    np.testing.assert_array_equal(loaded.reference.frequencies["plan"], fitted.reference.frequencies["plan"])
    assert (loaded.window_size, loaded.check_every, loaded.threshold) == (100, 20, 1e-7)


def test_changing_what_the_calibration_depends_on_calibrates_again(tmp_path):
    fitted = DriftProcessor.fit(np.random.default_rng(0).normal(size=(500, 2)), **SETTINGS)
    fitted.save(tmp_path / "ref.npz")
    again = DriftProcessor.load(tmp_path / "ref.npz", window_size=100, background=False)
    assert again.threshold is None and not again.ready            # until it calibrates for the new window
    assert again.calibrate().threshold != fitted.threshold


def test_calibrating_never_blocks_a_reader(tmp_path):
    drift = DriftProcessor.fit(np.random.default_rng(0).normal(size=(500, 4)))
    assert drift.threshold is None and drift.ready is False         # answered at once, not after calibrating
    assert drift.calibration is None


@pytest.mark.parametrize(("content", "message"), [(b"not a file of ours", "not a saved drift reference"),
                                                  (None, "no otel-ml metadata")])
def test_other_files_get_a_clear_error(tmp_path, content, message):
    path = tmp_path / "x.npz"
    if content is None:
        np.savez(path, data=np.ones(3))
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        DriftProcessor.load(path)


def test_the_cli_fits_from_a_csv_with_a_progress_bar_and_the_monitor_loads_it(tmp_path, monkeypatch):
    rng = np.random.default_rng(4)
    csv = tmp_path / "reference.csv"
    rows = np.column_stack([rng.normal(size=400), rng.uniform(size=400)])
    np.savetxt(csv, rows, delimiter=",", header="amount,age", comments="")
    out = subprocess.run([sys.executable, "-m", "otel_ml.cli", "reference", str(csv), "-o", str(tmp_path / "r.npz"),
                          "--window-size", "100", "--long-window-size", "0"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "calibrating 2 features [" in out.stderr and "100%" in out.stderr and "OTEL_ML_REFERENCE=" in out.stderr
    monkeypatch.setenv("OTEL_ML_MODEL_NAME", "loaded")
    monkeypatch.setenv("OTEL_ML_REFERENCE", str(tmp_path / "r.npz"))
    monitor = _monitors.monitor_named()
    assert monitor.drift.ready and monitor.drift.window_size == 100
    assert monitor.drift.reference.feature_names == ("amount", "age")


def test_the_cli_says_what_is_wrong(tmp_path):
    out = subprocess.run([sys.executable, "-m", "otel_ml.cli", "reference", str(tmp_path / "none.csv"), "-o",
                          str(tmp_path / "r.npz")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "does not exist" in out.stderr


def test_a_reference_saved_by_the_format_before_the_scan_still_loads_with_its_calibration(tmp_path):
    from otel_ml.drift.persistence import FORMAT_1, is_saved_reference

    fitted = DriftProcessor.fit(np.random.default_rng(4).normal(size=(500, 2)), ["a", "b"], threshold=1e-6)
    path = tmp_path / "reference.npz"
    fitted.save(path)
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files if name != "numeric_rows"}
    meta = json.loads(str(arrays["meta"]))
    meta["format"] = FORMAT_1
    arrays["meta"] = np.array(json.dumps(meta))
    old = tmp_path / "old.npz"
    with open(old, "wb") as file:
        np.savez_compressed(file, **arrays)
    assert is_saved_reference(old)
    loaded = DriftProcessor.load(old)
    assert loaded.threshold == 1e-6 and not loaded.scan and not loaded.multivariate
