"""otel_ml/instrumentation/onnxruntime.py on real ONNX models (converted by skl2onnx), in process."""

import numpy as np
import onnxruntime as ort
import pytest
from skl2onnx import to_onnx
from sklearn.datasets import load_diabetes, load_iris
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression

from otel_ml import semconv
from otel_ml.instrumentation.onnxruntime import OnnxRuntimeInstrumentor


def session(model, X, path, **options):
    path.write_bytes(to_onnx(model, X[:1].astype(np.float32), **options).SerializeToString())
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("zipmap", [True, False], ids=["zipmap", "tensor"])
def test_a_classifier_gives_labels_and_confidences(sinks, instrumented, tmp_path, zipmap):
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=500).fit(X, y)
    onnx = session(model, X, tmp_path / "iris.onnx", **({} if zipmap else {"options": {"zipmap": False}}))
    instrumented(OnnxRuntimeInstrumentor)
    feed = {onnx.get_inputs()[0].name: X[:8].astype(np.float32)}
    label, probabilities = onnx.run(None, feed)
    expected = model.predict(X[:8])
    got = {p.attributes.get("ml.prediction.label"): p.value for p in sinks.points(semconv.ML_PREDICTIONS)}
    assert got == {str(k): float(v) for k, v in zip(*np.unique(expected, return_counts=True))}
    assert {p.attributes["ml.model.name"] for p in sinks.points(semconv.ML_PREDICTIONS)} == {"iris"}
    assert abs(sum(p.sum for p in sinks.points(semconv.ML_PREDICTION_CONFIDENCE_METRIC))
               - model.predict_proba(X[:8]).max(axis=1).sum()) < 1e-4
    (span,) = sinks.finished_spans()
    assert span.name == "predict iris" and span.attributes["ml.batch.size"] == 8


def test_a_regressor_gives_values(sinks, instrumented, tmp_path):
    X, y = load_diabetes(return_X_y=True)
    model = RandomForestRegressor(n_estimators=5, random_state=0).fit(X, y)
    onnx = session(model, X, tmp_path / "diabetes.onnx")
    instrumented(OnnxRuntimeInstrumentor)
    (out,) = onnx.run(None, {onnx.get_inputs()[0].name: X[:3].astype(np.float32)})
    (value,) = sinks.points(semconv.ML_PREDICTION_VALUE_METRIC)
    assert value.count == 3 and abs(value.sum - float(out.sum())) < 1e-3


def test_a_model_that_raises_is_counted(sinks, instrumented, tmp_path):
    X, y = load_iris(return_X_y=True)
    onnx = session(LogisticRegression(max_iter=500).fit(X, y), X, tmp_path / "iris.onnx")
    instrumented(OnnxRuntimeInstrumentor)
    with pytest.raises(Exception, match="(?i)invalid|dimension|rank"):
        onnx.run(None, {onnx.get_inputs()[0].name: np.ones((2, 3), dtype=np.float32)})
    assert sinks.value(semconv.ML_PREDICTIONS, ml__prediction__status="error") == 2


def test_onnx_runtime_is_patched_when_the_app_imports_it_not_at_instrument_time():
    """Instrumenting must not load ONNX Runtime (gunicorn's master would pass its thread pools to
    the workers: tests/integration/test_shutdown.py); the app's own import gets the patch."""
    import json
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        import json, sys
        from otel_ml.instrumentation import _estimators
        from otel_ml.instrumentation.onnxruntime import OnnxRuntimeInstrumentor
        instrumentor = OnnxRuntimeInstrumentor()
        instrumentor.instrument()
        loaded_by_instrumenting = "onnxruntime" in sys.modules
        import onnxruntime
        from onnxruntime.capi.onnxruntime_inference_collection import Session
        wrapped = getattr(Session.__dict__["run"], _estimators._WRAPPED, False)
        instrumentor.uninstrument()
        unwrapped = not getattr(Session.__dict__["run"], _estimators._WRAPPED, False)
        print(json.dumps([loaded_by_instrumenting, wrapped, unwrapped]))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [False, True, True]
