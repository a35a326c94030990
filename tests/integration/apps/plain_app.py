"""A plain-Python model service: otel_ml.configure() from arguments, then a fixed workload.

Run as: python plain_app.py SERVICE_NAME ENDPOINT PROTOCOL
Workload: 20 predictions (12 of label "1", 8 of label "0"), 3 that raise, 10 outcomes (7 right),
2 conversions worth 12.5 each, one prediction with a NaN feature.
"""

import sys

import otel_ml


def main() -> None:
    service, endpoint, protocol = sys.argv[1:4]
    telemetry = otel_ml.configure(service_name=service, endpoint=endpoint, protocol=protocol,
                                  export_interval_millis=500, resource_attributes={"deployment.environment.name": "ci"})
    monitor = otel_ml.ModelMonitor("fraud", version="v3", feature_names=["amount", "age"])
    ids = []
    for i in range(20):
        with monitor.predict([100.0 + i, 30 + i]) as p:
            p.record("1" if i < 12 else "0", confidence=0.55 + i / 50)
        ids.append((p.id, p.label))
    for _ in range(3):
        try:
            with monitor.predict([1.0, 2.0]):
                raise TimeoutError("feature store timed out")
        except TimeoutError:
            pass
    with monitor.predict([float("nan"), 3.0]) as p:
        p.record("0", confidence=0.9)
    for n, (pid, label) in enumerate(ids[:10]):
        monitor.record_outcome(pid, actual=label if n < 7 else ("0" if label == "1" else "1"))
    for pid, _ in ids[:2]:
        monitor.record_business_event("conversion", value=12.5, prediction_id=pid)
    telemetry.force_flush()
    telemetry.shutdown()
    print("done", flush=True)


if __name__ == "__main__":
    main()
