"""otel_ml/_shutdown.py in process: the SIGTERM handler, and the bounded exit with no provider set."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from otel_ml import _shutdown


def run(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60,
                          env={**{k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}, **env})


def test_sigterm_exits_through_the_exit_hooks():
    out = run("""
        import atexit, os, signal, time
        from otel_ml import _shutdown
        _shutdown.install()
        atexit.register(lambda: print("exit hooks ran", flush=True))
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
        print("not reached")
    """)
    assert out.returncode == 128 + signal.SIGTERM and "exit hooks ran" in out.stdout, out
    assert "not reached" not in out.stdout and "Traceback" not in out.stderr


def test_a_second_sigterm_during_the_exit_is_ignored():
    # before: a supervisor repeating SIGTERM while the exit hooks ran (uvicorn's, to a worker
    # whose own handler was gone) raised SystemExit inside the bounded shutdown: a traceback, and
    # the flush cut short
    out = run("""
        import atexit, os, signal, time
        from otel_ml import _shutdown

        def slow_provider_shutdown():
            os.kill(os.getpid(), signal.SIGTERM)        # the second SIGTERM, mid-exit
            time.sleep(0.2)
            print("shutdown finished", flush=True)

        _shutdown.install()
        atexit.register(lambda: print("earlier hook ran", flush=True))
        _shutdown._all_at_once = lambda action, timeout: slow_provider_shutdown() or []
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    """)
    assert out.returncode == 128 + signal.SIGTERM, out
    assert "shutdown finished" in out.stdout and "earlier hook ran" in out.stdout, out
    assert "Traceback" not in out.stderr, out.stderr


def test_sigterm_while_starting_quits_quietly(tmp_path):
    """A SIGTERM that lands in sitecustomize (a worker spawned and stopped at once) prints no traceback."""
    (tmp_path / "sitecustomize.py").write_text(textwrap.dedent("""
        import os, signal, time
        from otel_ml import _shutdown
        _shutdown.install()
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    """))
    out = run("print('main ran')", PYTHONPATH=str(tmp_path))
    assert out.returncode == 128 + signal.SIGTERM, out
    assert "Traceback" not in out.stderr and "main ran" not in out.stdout


def test_a_handler_already_set_is_left_alone():
    previous = signal.getsignal(signal.SIGTERM)
    mine = lambda signum, frame: None  # noqa: E731
    signal.signal(signal.SIGTERM, mine)
    try:
        assert _shutdown.handle_sigterm() is False and signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_no_provider_set_nothing_to_wait_for():
    assert _shutdown.shutdown_global_providers(timeout=1) == []


def test_shutting_down_what_configure_built_leaves_nothing_for_the_exit_hooks():
    """``otel-ml serve`` shuts its telemetry down itself; the exit must not do it a second time."""
    script = textwrap.dedent("""
        import otel_ml
        telemetry = otel_ml.configure(service_name="twice")
        telemetry.shutdown()
        print("shut down")
    """)
    env = {**os.environ, "OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "console",
           "OTEL_LOGS_EXPORTER": "none", "OTEL_ML_SYSTEM_METRICS": "false"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0 and "shut down" in done.stdout, done.stderr
    assert "can only be called once" not in done.stderr and "already shutdown" not in done.stderr.lower(), done.stderr
