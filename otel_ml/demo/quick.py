"""``otel-ml demo``: a real model, monitored, with the telemetry read back and summarised.

A logistic-regression model is trained at start-up (numpy, seeded) on a credit-default style
data set it generates, then serves a stream of predictions through :class:`ModelMonitor`:
some rows carry a NaN feature, a few calls time out, ground truth arrives for most
predictions later, and some predictions convert into revenue. Everything goes through the
real OpenTelemetry SDK; an in-process metric reader reads the metrics back for the summary,
and with ``OTEL_EXPORTER_OTLP_ENDPOINT`` set the same telemetry is also exported over OTLP.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

FEATURES = ["income", "debt_ratio", "age", "late_payments"]


def train(rng: np.random.Generator, n: int = 4000) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A seeded data set and a logistic regression fitted to it by gradient descent."""
    x = np.column_stack([rng.lognormal(10.5, 0.4, n), rng.beta(2, 5, n), rng.integers(21, 75, n),
                         rng.poisson(0.6, n)]).astype(float)
    mean, std = x.mean(axis=0), x.std(axis=0)
    z = (x - mean) / std
    true_w = np.array([-1.2, 1.8, -0.4, 1.5])
    y = (rng.random(n) < 1 / (1 + np.exp(-(z @ true_w - 1.0)))).astype(float)
    w, b = np.zeros(4), 0.0
    for _ in range(300):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        w -= 0.5 * z.T @ (p - y) / n
        b -= 0.5 * float(np.mean(p - y))
    return x, y, np.concatenate([w, [b]]), np.stack([mean, std])


def run(predictions: int = 2000, seed: int = 7) -> int:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider

    import otel_ml
    from otel_ml import logs

    rng = np.random.default_rng(seed)
    x, y, params, scale = train(rng)
    weights, bias = params[:-1], params[-1]
    reader = InMemoryMetricReader()
    readers: list[Any] = [reader]
    exporting = bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip())
    if exporting:
        telemetry = otel_ml.configure(service_name=os.environ.get("OTEL_SERVICE_NAME") or "otel-ml-demo")
        tracer_provider, logger_provider = telemetry.tracer_provider, telemetry.logger_provider
        readers.append(_periodic_otlp_reader())
    else:
        tracer_provider, logger_provider = TracerProvider(), logs.sdk_logger_provider()
    meter_provider = MeterProvider(metric_readers=readers)
    monitor = otel_ml.ModelMonitor("credit-default", version="v1", feature_names=FEATURES, labels=["0", "1"],
                                   tracer_provider=tracer_provider, meter_provider=meter_provider,
                                   logger_provider=logger_provider)

    def model(row: np.ndarray) -> tuple[int, float]:
        if rng.random() < 0.01:
            raise TimeoutError("feature store timed out")
        p = 1 / (1 + np.exp(-(((row - scale[0]) / scale[1]) @ weights + bias)))
        return (1, float(p)) if p >= 0.5 else (0, float(1 - p))

    print(f"otel-ml demo: {predictions} predictions of a logistic regression trained on {len(x)} rows"
          + (" (also exporting over OTLP)" if exporting else ""))
    started = time.perf_counter()
    truths = []
    for i in range(predictions):
        row = x[i % len(x)].copy()
        if rng.random() < 0.02:
            row[1] = np.nan
        try:
            with monitor.predict(row) as p:
                label, confidence = model(np.nan_to_num(row))
                p.record(label, confidence=confidence)
        except TimeoutError:
            continue
        truths.append((p.id, int(y[i % len(x)]), label))
    elapsed = time.perf_counter() - started
    for pid, actual, label in truths[: int(len(truths) * 0.8)]:       # ground truth for 80%, later
        monitor.record_outcome(pid, actual)
        if label == 1 and actual == 1 and rng.random() < 0.3:
            monitor.record_business_event("collection_call", value=float(rng.integers(50, 500)), prediction_id=pid)
    _summary(reader.get_metrics_data(), predictions, elapsed)
    if exporting:
        telemetry.force_flush()
        meter_provider.force_flush()
    meter_provider.shutdown()
    return 0


def _periodic_otlp_reader() -> Any:
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    protocol = os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf").strip().lower()
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
    else:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter  # type: ignore[assignment]
    return PeriodicExportingMetricReader(OTLPMetricExporter(), export_interval_millis=5000)


def _points(data: Any, name: str) -> list[Any]:
    return [pt for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics if m.name == name
            for pt in m.data.data_points]


def _quantile(point: Any, q: float) -> float:
    """The bucket upper bound below which a share ``q`` of a histogram's observations lie."""
    target, seen = q * point.count, 0
    for bound, count in zip(list(point.explicit_bounds) + [float("inf")], point.bucket_counts):
        seen += count
        if seen >= target:
            return bound
    return float("inf")


def _summary(data: Any, asked: int, elapsed: float) -> None:
    counts: dict[tuple[str, str], int] = {}
    for pt in _points(data, "ml.predictions"):
        key = (pt.attributes["ml.prediction.status"], pt.attributes.get("ml.prediction.label")
               or pt.attributes.get("error.type", ""))
        counts[key] = counts.get(key, 0) + int(pt.value)
    total = sum(counts.values())
    ok = sum(n for (status, _), n in counts.items() if status == "ok")
    print(f"\n  predictions     {total} in {elapsed:.2f} s ({total / elapsed:.0f}/s), success rate {ok / total:.1%}")
    for (status, what), n in sorted(counts.items()):
        print(f"    {status:5} {what:20} {n}")
    durations = [pt for pt in _points(data, "ml.prediction.duration") if pt.attributes["ml.prediction.status"] == "ok"]
    if durations:
        d = durations[0]
        print(f"  latency         mean {d.sum / d.count * 1e3:.3f} ms, p95 <= {_quantile(d, 0.95) * 1e3:g} ms, "
              f"p99 <= {_quantile(d, 0.99) * 1e3:g} ms, max {d.max * 1e3:.3f} ms")
    for pt in _points(data, "ml.prediction.confidence"):
        print(f"  confidence      label {pt.attributes['ml.prediction.label']}: mean {pt.sum / pt.count:.3f}, "
              f"p50 <= {_quantile(pt, 0.5):g}")
    outcomes = _points(data, "ml.outcomes")
    right = sum(pt.value for pt in outcomes if pt.attributes["ml.outcome.correct"] == "true")
    seen = sum(pt.value for pt in outcomes)
    if seen:
        print(f"  accuracy        {right / seen:.1%} over {int(seen)} predictions with ground truth")
    invalid = sum(pt.value for pt in _points(data, "ml.feature.invalid"))
    print(f"  bad features    {int(invalid)} values counted on ml_feature_invalid_total (left the prediction alone)")
    value = sum(pt.value for pt in _points(data, "ml.business.value"))
    print(f"  business value  {value:.0f} from {int(sum(pt.value for pt in _points(data, 'ml.business.events')))} "
          "events tied to predictions")
