"""One worker of a fleet: two models with drift processors, exporting OTLP/HTTP to ENDPOINT.

Run as: python fleet_worker.py ENDPOINT SEED
"fleet-steady" sees data like its reference; "fleet-shifted" sees feature f0 moved by +1 sd;
"fleet-subtle" sees f0 moved by +0.2 sd, which no worker's own KS test (a window of 200 at a
per-test threshold of 1e-7) can find, and the fleet's chi-squared (MLFleetDrift) does.
"""

import sys

import numpy as np

import otel_ml
from otel_ml.drift import Correction, DriftProcessor

FEATURES = ["f0", "f1", "f2"]


def main() -> None:
    endpoint, seed = sys.argv[1], int(sys.argv[2])
    telemetry = otel_ml.configure(service_name="fleet", endpoint=endpoint, protocol="http/protobuf",
                                  export_interval_millis=500, system_metrics=False)
    reference = np.random.default_rng(0).normal(size=(5000, 3))            # the same in every worker
    rng = np.random.default_rng(seed)
    for model, shift in (("fleet-steady", 0.0), ("fleet-shifted", 1.0), ("fleet-subtle", 0.2)):
        if model == "fleet-subtle":
            # each worker's own KS window of 200 samples (the scan off: with it, a worker's 3,000
            # samples can show a +0.2 sd shift by themselves, which this test's premise excludes)
            drift = DriftProcessor.fit(reference, FEATURES, window_size=200, long_window_size=0, check_every=50,
                                       threshold=1e-7, scan=False, multivariate=False, background=False)
        else:
            drift = DriftProcessor.fit(reference, FEATURES, window_size=500, long_window_size=0,
                                       correction=Correction.BONFERRONI, background=False)
        monitor = otel_ml.ModelMonitor(model, version="v1", feature_names=FEATURES, drift=drift)
        for row in rng.normal(size=(3000, 3)) + [shift, 0, 0]:
            with monitor.predict(row) as p:
                p.record("1" if row[0] > 0 else "0", confidence=0.8)
        drift.force_flush()                          # bins the last samples into the fleet counts
    telemetry.force_flush()
    telemetry.shutdown()
    print("done", flush=True)


if __name__ == "__main__":
    main()
