"""Metrics through the OTel Prometheus reader, served for a real Prometheus to scrape.

Run as: python scrape_app.py PORT  (serves /metrics on 127.0.0.1:PORT until stdin closes)
"""

import sys

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import start_http_server

import otel_ml


def main() -> None:
    port = int(sys.argv[1])
    start_http_server(port, addr="127.0.0.1")
    meter_provider = MeterProvider(resource=Resource.create({"service.name": "fraud-scrape"}),
                                   metric_readers=[PrometheusMetricReader()])
    monitor = otel_ml.ModelMonitor("fraud", version="v3", meter_provider=meter_provider,
                                   tracer_provider=TracerProvider())
    for i in range(10):
        with monitor.predict([1.0, 2.0]) as p:
            p.record("1" if i < 6 else "0", confidence=0.9)
    try:
        with monitor.predict():
            raise ValueError("bad input")
    except ValueError:
        pass
    monitor.record_outcome(p.id, actual="0")
    monitor.record_business_event("conversion", value=3.0, prediction_id=p.id)
    print("ready", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
