"""``otel-ml report``: clear errors for bad arguments and for a range with nothing in it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from otel_ml.cli import build_parser, main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "otel_ml.cli", "report", *args], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("args, message", [
    (["--model", "m", "--since", "an hour"], "not a duration: 'an hour'"),
    (["--model", "m", "--start", "yesterday"], "not a time: 'yesterday'"),
    (["--model", "m", "--header", "Authorization"], "a header is NAME=VALUE"),
    (["--since", "1h"], "the following arguments are required: --model"),
])
def test_bad_arguments_say_what_to_give(args, message):
    done = run(*args)
    assert done.returncode == 2 and message in done.stderr


def test_a_range_that_ends_before_it_starts_is_refused(capsys):
    assert main(["report", "--model", "m", "--start", "2026-12-03T10:00:00Z", "--end", "2026-12-03T09:00:00Z"]) == 2
    assert "must end after it starts" in capsys.readouterr().err


def test_options_are_parsed_as_given():
    args = build_parser().parse_args(["report", "--model", "m", "--since", "6h", "--step", "2m", "--sample-interval",
                                      "1", "--header", "X-Scope-OrgID=a=b", "-o", "r.html"])
    assert (args.since, args.step, args.sample_interval, args.header, args.output) == (
        21600.0, 120.0, 1.0, [("X-Scope-OrgID", "a=b")], "r.html")
