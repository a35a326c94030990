"""gunicorn config of the served benchmark: the SDK is set up in each worker (post_fork)."""
import os


def post_fork(server, worker):
    if os.environ.get("OTEL_ML_BENCH_SETUP", "bare") == "bare":
        return
    import otel_ml

    otel_ml.configure(system_metrics=True)
