"""Predictions while the collector is dead or black-holed: prints how long the slowest one took.

Run as: python unreachable_collector_app.py ENDPOINT PROTOCOL
"""

import json
import sys
import time

import otel_ml


def main() -> None:
    endpoint, protocol = sys.argv[1:3]
    telemetry = otel_ml.configure(service_name="unreachable", endpoint=endpoint, protocol=protocol,
                                  export_interval_millis=100, timeout=2)
    monitor = otel_ml.ModelMonitor("fraud", feature_names=["a", "b"])
    slowest = 0.0
    done = 0
    deadline = time.monotonic() + 3.0          # long enough for many export attempts to be in flight
    while time.monotonic() < deadline and done < 100_000:
        started = time.perf_counter()
        with monitor.predict([1.0, float("nan")]) as p:
            p.record("1", confidence=0.8)
        slowest = max(slowest, time.perf_counter() - started)
        done += 1
        time.sleep(0.0005)
    print(json.dumps({"done": done, "slowest_s": slowest}), flush=True)
    started = time.monotonic()
    telemetry.shutdown()
    print(json.dumps({"shutdown_s": time.monotonic() - started}), flush=True)


if __name__ == "__main__":
    main()
