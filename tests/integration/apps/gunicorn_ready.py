"""Tells a test when each gunicorn worker is ready: ``post_worker_init`` runs after the worker
has installed its own signal handlers and loaded the app, and leaves a file named after its pid
in ``$GUNICORN_READY_DIR``. Until then a forked worker still has the master's SIGTERM handler,
which only queues the signal for the master: a SIGTERM it gets while booting is lost, and the
master waits out its graceful timeout (30 s) before it kills that worker."""

import os


def post_worker_init(worker):
    ready = os.environ.get("GUNICORN_READY_DIR")
    if ready:
        open(os.path.join(ready, str(os.getpid())), "w").close()
