"""The post_fork pattern: the SDK (threads, exporters, service.instance.id) is built in each
worker, never in the master. The monitor may be created at import (in the master): it uses
the global providers, which resolve to each worker's own once configure() has run there."""


def post_fork(server, worker):
    import otel_ml

    otel_ml.configure(system_metrics=False)
