import subprocess
import sys

import otel_ml


def test_import_is_light():
    """`import otel_ml` loads no web framework, no SciPy and no SDK exporter."""
    code = (
        "import sys, otel_ml\n"
        "heavy = [m for m in ('flask', 'fastapi', 'scipy', 'grpc', 'opentelemetry.sdk',"
        " 'opentelemetry.exporter.otlp.proto.grpc', 'opentelemetry.exporter.otlp.proto.http') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_surface():
    assert set(otel_ml.__all__) == {"ModelMonitor", "MonitorConfig", "Prediction", "Telemetry", "configure",
                                    "__version__"}
    for name in otel_ml.__all__:
        assert getattr(otel_ml, name) is not None


def test_unknown_attribute_is_an_attribute_error():
    import pytest

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        otel_ml.nope  # noqa: B018
