"""A report's :class:`~otel_ml.report.source.Source` over a Prometheus-compatible HTTP query API.

Prometheus, Mimir (``/prometheus`` prefix and an ``X-Scope-OrgID`` header), VictoriaMetrics and
Thanos answer the same ``/api/v1/query`` and ``/api/v1/query_range``. Names are translated as the
collector and Prometheus translate OTLP (:func:`otel_ml.semconv.prometheus_name`), so the PromQL
here is the dashboards' PromQL. Windows are never shorter than four sample intervals (the
services' metric export interval, ``OTEL_METRIC_EXPORT_INTERVAL``), Grafana's ``$__rate_interval``
rule, so that every window holds at least two samples.

>>> selector({"ml.model.name": 'a"b'})
'{ml_model_name="a\\\\"b"}'
>>> PrometheusSource("http://localhost:9090", sample_interval=15).window(10)
'60s'
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

from otel_ml.report.source import FiredAlert, Histogram, Labels, Series
from otel_ml.semconv import ML_MODEL_NAME, prometheus_label, prometheus_name


class QueryError(RuntimeError):
    """The query API could not be reached or refused a query; the message says which and how."""


def selector(where: Mapping[str, str], extra: str = "") -> str:
    """A PromQL label selector of exact matches on otel_ml attributes."""
    def quoted(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    parts = [f"{prometheus_label(key)}={quoted(value)}" for key, value in where.items()]
    return "{" + ",".join([*parts, *([extra] if extra else [])]) + "}"


class PrometheusSource:
    """Ask ``url`` (the base of ``/api/v1``), with optional ``headers`` (authorization, tenant)."""

    def __init__(self, url: str, *, headers: Mapping[str, str] | None = None, sample_interval: float = 15.0,
                 timeout: float = 30.0) -> None:
        self.url, self.headers = url.rstrip("/"), dict(headers or {})
        self.sample_interval, self.timeout = float(sample_interval), float(timeout)

    # ------------------------------------------------------------------ the HTTP API
    def get(self, path: str, **params: Any) -> Any:
        """``GET {url}{path}?params``: the ``data`` of a successful answer, or :class:`QueryError`."""
        address = f"{self.url}{path}?{urllib.parse.urlencode(params)}"
        request = urllib.request.Request(address, headers={"Accept": "application/json", **self.headers})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = json.loads(response.read())
        except urllib.error.HTTPError as error:
            detail = error.read()[:500].decode("utf-8", "replace")
            raise QueryError(f"{self.url} answered {error.code} to {path} ({params.get('query', '')}): {detail}. "
                             "Is it the base of a Prometheus-compatible query API (the URL before /api/v1)?") from None
        except (urllib.error.URLError, OSError) as error:
            raise QueryError(f"cannot reach a Prometheus-compatible query API at {self.url}: "
                             f"{getattr(error, 'reason', error)}. Pass its base URL with --prometheus.") from None
        except ValueError:
            raise QueryError(f"{address} did not answer JSON: not a Prometheus-compatible query API") from None
        if body.get("status") != "success":
            raise QueryError(f"{self.url} refused {params.get('query', path)}: {body.get('error', body)}")
        return body["data"]

    def instant(self, expr: str, at: float) -> list[dict[str, Any]]:
        return list(self.get("/api/v1/query", query=expr, time=f"{at:.3f}")["result"])

    def range(self, expr: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
        return list(self.get("/api/v1/query_range", query=expr, start=f"{start:.3f}", end=f"{end:.3f}",
                             step=f"{max(step, 1.0):.3f}")["result"])

    def window_seconds(self, step: float) -> float:
        """A rate window for ``step``: at least the step and at least four sample intervals."""
        return float(math.ceil(max(step, 4 * self.sample_interval)))

    def window(self, step: float) -> str:
        """:meth:`window_seconds` in PromQL."""
        return f"{self.window_seconds(step):.0f}s"

    # ------------------------------------------------------------------ Source
    def totals(self, metric: str, by: Sequence[str], where: Mapping[str, str], start: float,
               end: float) -> dict[Labels, float]:
        expr = f"sum by ({_by(by)}) (increase({prometheus_name(metric)}{selector(where)}[{_span(start, end)}]))"
        return {_labels(r, by): float(r["value"][1]) for r in self.instant(expr, end)}

    def totals_over_time(self, metric: str, by: Sequence[str], where: Mapping[str, str], start: float, end: float,
                         step: float) -> dict[Labels, Series]:
        expr = f"sum by ({_by(by)}) (increase({prometheus_name(metric)}{selector(where)}[{self.window(step)}]))"
        return {_labels(r, by): _points(r) for r in self.range(expr, start, end, step)}

    def histogram(self, metric: str, where: Mapping[str, str], start: float, end: float) -> Histogram | None:
        name, span = prometheus_name(metric), _span(start, end)
        buckets = self.instant(f"sum by (le) (increase({name}_bucket{selector(where)}[{span}]))", end)
        total = self.instant(f"sum(increase({name}_sum{selector(where)}[{span}]))", end)
        return _histogram([(float(r["metric"]["le"]), float(r["value"][1])) for r in buckets],
                          float(total[0]["value"][1]) if total else float("nan"))

    def histograms_over_time(self, metric: str, where: Mapping[str, str], start: float, end: float,
                             step: float) -> list[tuple[float, Histogram]]:
        expr = f"sum by (le) (increase({prometheus_name(metric)}_bucket{selector(where)}[{self.window(step)}]))"
        at: dict[float, list[tuple[float, float]]] = {}
        for result in self.range(expr, start, end, step):
            for t, value in _points(result):
                at.setdefault(t, []).append((float(result["metric"]["le"]), value))
        return [(t, h) for t, buckets in sorted(at.items()) if (h := _histogram(buckets)) is not None]

    def gauges_over_time(self, metric: str, by: Sequence[str], where: Mapping[str, str], start: float, end: float,
                         step: float) -> dict[Labels, Series]:
        expr = f"max by ({_by(by)}) ({prometheus_name(metric)}{selector(where)})"
        return {_labels(r, by): _points(r) for r in self.range(expr, start, end, step)}

    def fired_alerts(self, model: str, start: float, end: float, step: float) -> list[FiredAlert]:
        """From the raw samples of ``ALERTS`` in the range (an instant query of a range selector), not
        a range query's grid: an alert that fired only between two steps, or in the last step before
        ``end``, is found, and its first and last evaluations are exact. A gap of more than 2.5
        evaluation intervals (the series' shortest gap) between two samples starts a new episode."""
        model_label = prometheus_label(ML_MODEL_NAME)
        results = self.instant(f'ALERTS{{alertstate="firing"}}[{_span(start, end)}]', end)
        series = []
        for result in results:
            labels = {k: v for k, v in result["metric"].items() if k not in ("__name__", "alertstate")}
            times = sorted(t for t, _ in _points(result) if start <= t <= end)
            if times and labels.get(model_label, model) == model:
                series.append((labels, times))
        gaps = [b - a for _, times in series for a, b in zip(times, times[1:]) if b > a]
        fallback = min(gaps, default=max(step, 1.0))
        fired = []
        for labels, times in series:
            own = [b - a for a, b in zip(times, times[1:]) if b > a]
            interval = min(own) if len(own) >= 2 else fallback
            episodes = 1 + sum(1 for gap in own if gap > 2.5 * interval)
            fired.append(FiredAlert(labels.pop("alertname", "?"), labels.pop("severity", ""), labels,
                                    times[0], times[-1], episodes))
        return sorted(fired, key=lambda a: (a.first, a.name))


def _by(by: Sequence[str]) -> str:
    return ", ".join(prometheus_label(key) for key in by)


def _span(start: float, end: float) -> str:
    return f"{max(1, math.ceil(end - start))}s"


def _labels(result: Mapping[str, Any], by: Sequence[str]) -> Labels:
    metric = result.get("metric", {})
    return tuple(str(metric.get(prometheus_label(key), "")) for key in by)


def _points(result: Mapping[str, Any]) -> Series:
    return [(float(t), float(v)) for t, v in result.get("values", ()) if v not in ("NaN", "+Inf", "-Inf")]


def _histogram(buckets: list[tuple[float, float]], total: float = float("nan")) -> Histogram | None:
    if not buckets:
        return None
    buckets.sort()
    return Histogram(tuple(b for b, _ in buckets), tuple(c for _, c in buckets), total)
