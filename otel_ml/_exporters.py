"""Which exporters :func:`otel_ml.configure` builds, and their arguments, from its arguments and ``OTEL_*``.

One job: turn ``endpoint``/``protocol``/``headers``/``timeout`` and ``OTEL_{TRACES,METRICS,LOGS}_EXPORTER``
into what the SDK's exporters take. :mod:`otel_ml.sdk` builds the providers from it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

GRPC = "grpc"
HTTP = "http/protobuf"


def exporter_args(protocol: str, endpoint: str | None, headers: Mapping[str, str] | str | None,
                  timeout: float | None) -> dict[str, dict[str, Any]]:
    """Keyword arguments for each signal's OTLP exporter; what is not given is left to the SDK's ``OTEL_*``.

    >>> exporter_args("http/protobuf", "http://collector:4318/", None, 5.0)["logs"]
    {'timeout': 5.0, 'endpoint': 'http://collector:4318/v1/logs'}
    >>> exporter_args("grpc", "http://collector:4317", "a=b", None)["traces"]
    {'headers': {'a': 'b'}, 'endpoint': 'http://collector:4317', 'insecure': True}
    """
    common: dict[str, Any] = {}
    if headers is not None:
        common["headers"] = parse_headers(headers) if isinstance(headers, str) else dict(headers)
    if timeout is not None:
        common["timeout"] = timeout
    args = {signal: dict(common) for signal in ("traces", "metrics", "logs")}
    if endpoint:
        for signal in args:
            args[signal]["endpoint"] = endpoint if protocol == GRPC else f"{endpoint.rstrip('/')}/v1/{signal}"
            if protocol == GRPC:
                args[signal]["insecure"] = endpoint.startswith("http://")
    return args


def parse_headers(raw: str) -> dict[str, str]:
    """``k=v,k2=v2`` with percent-encoded values, as ``OTEL_EXPORTER_OTLP_HEADERS``.

    >>> parse_headers("authorization=Bearer%20abc, x-tenant=ml")
    {'authorization': 'Bearer abc', 'x-tenant': 'ml'}
    """
    from urllib.parse import unquote

    pairs = (item.split("=", 1) for item in raw.split(",") if "=" in item)
    return {key.strip().lower(): unquote(value.strip()) for key, value in pairs}


EXPORTERS = ("otlp", "console", "none")


def exporters_for(signal: str) -> list[str]:
    """``OTEL_{TRACES,METRICS,LOGS}_EXPORTER``: a comma-separated list of ``otlp`` (the default),
    ``console`` (to stdout, to watch telemetry in a terminal) and ``none``.

    >>> import os
    >>> os.environ["OTEL_TRACES_EXPORTER"] = "console, none"
    >>> exporters_for("traces")
    ['console']
    >>> del os.environ["OTEL_TRACES_EXPORTER"]
    >>> exporters_for("traces")
    ['otlp']
    """
    variable = f"OTEL_{signal.upper()}_EXPORTER"
    raw = os.environ.get(variable, "").strip().lower()
    names = [n.strip() for n in raw.split(",") if n.strip()] or ["otlp"]
    unknown = [n for n in names if n not in EXPORTERS]
    if unknown:
        raise ValueError(f"{variable} must be a comma-separated list of {', '.join(EXPORTERS)}, got {raw!r}.")
    return [n for n in names if n != "none"]


def collector_address(protocol: str, endpoint: str | None) -> str:
    """Where the exporters send, as the unreachable-collector notice names it.

    >>> collector_address("grpc", None)
    'http://localhost:4317'
    >>> import os; os.environ["OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"] = "http://logs:4318/v1/logs"
    >>> collector_address("http/protobuf", None)
    'http://localhost:4318 (logs: http://logs:4318/v1/logs)'
    >>> del os.environ["OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"]
    """
    if endpoint:
        return endpoint
    address = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip() or (
        "http://localhost:4317" if protocol == GRPC else "http://localhost:4318")
    per_signal = [f"{signal}: {value}" for signal in ("traces", "metrics", "logs")
                  if (value := os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT", "").strip())]
    return f"{address} ({', '.join(per_signal)})" if per_signal else address
