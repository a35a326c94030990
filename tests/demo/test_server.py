"""otel_ml/demo/server.py: waitress started in a thread and stopped with the requests in progress finished."""

from __future__ import annotations

import logging
import threading
import urllib.request

from otel_ml.demo import server


def test_a_request_in_progress_when_the_server_stops_is_answered_and_nothing_is_logged(caplog):
    """The demo stops its service while its traffic may still be in flight. Closing waitress's
    server first also closes the trigger that a finishing request pulls to wake the I/O loop:
    'Exception when servicing ... OSError: [Errno 9] Bad file descriptor' at the demo's end."""
    entered, release = threading.Event(), threading.Event()

    def app(environ, start_response):
        entered.set()
        release.wait(10)
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    before = set(threading.enumerate())
    running, url = server.start(app, "127.0.0.1", 0)
    loops = [t for t in set(threading.enumerate()) - before if t.name == "otel-ml-demo-http"]
    answered: dict[str, object] = {}

    def call() -> None:
        try:
            with urllib.request.urlopen(url, timeout=15) as response:
                answered["status"], answered["body"] = response.status, response.read()
        except OSError as error:
            answered["error"] = error

    client = threading.Thread(target=call)
    client.start()
    assert entered.wait(10)
    caplog.set_level(logging.ERROR, logger="waitress")
    stopper = threading.Thread(target=server.stop, args=(running,))
    stopper.start()
    stopper.join(0.3)                   # stop() is under way: no new connections, waiting for the request
    release.set()
    stopper.join(15)
    client.join(15)
    assert not stopper.is_alive() and not client.is_alive()
    assert "Exception when servicing" not in caplog.text, caplog.text
    assert answered == {"status": 200, "body": b"ok"}, answered
    assert len(loops) == 1
    for loop in loops:
        loop.join(5)
    assert not any(loop.is_alive() for loop in loops), "waitress's I/O loop did not end"
