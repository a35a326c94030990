"""Settings of a :class:`~otel_ml.ModelMonitor`: arguments first, then environment, then defaults.

The monitor's settings are read from the environment here, at call time (never at import), so
tests set variables and build a new config instead of patching module globals. The other
``OTEL_ML_*`` variables are read where they apply (the instrumentations' settings in
:mod:`otel_ml.instrumentation._common` and :mod:`otel_ml.instrumentation._monitors`, the signing
key in :mod:`otel_ml.signed_ids`, the exit in :mod:`otel_ml._shutdown`); every one of them is
named and documented in :mod:`otel_ml.environment_variables` (a test checks).

>>> MonitorConfig.from_env(environ={"OTEL_ML_MAX_LABELS": "7"}).max_labels
7
>>> MonitorConfig.from_env(max_labels=3, environ={"OTEL_ML_MAX_LABELS": "7"}).max_labels
3
>>> sorted(MonitorConfig.from_env(environ={"OTEL_ML_CAPTURE_FEATURES": "age, income"}).capture_features)
['age', 'income']
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from otel_ml import environment_variables as ev

CaptureFeatures = bool | frozenset[str]
PROFILES: dict[str, dict[str, Any]] = {
    "full": {},
    # every metric, and the prediction on the HTTP server span when one exists; the log records of
    # failed, slow, low-confidence and drifted predictions, and 10% of the others (otel_ml._sampling);
    # configure() also samples 10% of traces (parent-based) unless OTEL_TRACES_SAMPLER says otherwise
    "production": {"log_sample_ratio": 0.1, "prediction_span": "current"},
}
"""``OTEL_ML_PROFILE``: the defaults each profile gives (an argument or variable set wins)."""
_KIND_NAMES = {int: "a whole number", float: "a number"}


@dataclass(frozen=True)
class MonitorConfig:
    """Resolved monitor settings. See :mod:`otel_ml.environment_variables` for each one."""

    capture_features: CaptureFeatures = False
    max_labels: int = 50
    store_size: int = 100_000
    store_ttl: float = 86_400.0
    log_sample_ratio: float = 1.0
    prediction_span: str = "child"
    profile: str = "full"
    log_confidence_below: float | None = None

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"OTEL_ML_PROFILE must be 'full' or 'production', got {self.profile!r}.")
        if self.prediction_span not in ("child", "current"):
            raise ValueError(f"prediction_span must be 'child' or 'current', got {self.prediction_span!r}.")
        if self.max_labels < 1:
            raise ValueError(f"max_labels must be at least 1, got {self.max_labels}.")
        if self.store_size < 1:
            raise ValueError(f"store_size must be at least 1, got {self.store_size}.")
        if not self.store_ttl > 0:
            raise ValueError(f"store_ttl must be a positive number of seconds, got {self.store_ttl}.")
        if not 0.0 <= self.log_sample_ratio <= 1.0:
            raise ValueError(f"log_sample_ratio must be between 0 and 1, got {self.log_sample_ratio}.")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> MonitorConfig:
        """Build a config; keyword arguments that are not ``None`` win over the environment."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        capture = _get(env, ev.OTEL_ML_CAPTURE_FEATURES)
        if capture is not None:
            values["capture_features"] = parse_capture(capture)
        profile = (overrides.get("profile") or _get(env, ev.OTEL_ML_PROFILE) or "full").strip().lower()
        values["profile"] = profile
        values.update(PROFILES.get(profile, {}))        # its defaults; whatever is set below wins
        span = _get(env, ev.OTEL_ML_PREDICTION_SPAN)
        if span is not None:
            values["prediction_span"] = span.strip().lower()
        for key, var, kind in (
            ("max_labels", ev.OTEL_ML_MAX_LABELS, int),
            ("store_size", ev.OTEL_ML_STORE_SIZE, int),
            ("store_ttl", ev.OTEL_ML_STORE_TTL, float),
            ("log_sample_ratio", ev.OTEL_ML_LOG_PREDICTIONS, float),
            ("log_confidence_below", ev.OTEL_ML_LOG_CONFIDENCE_BELOW, float),
        ):
            raw = _get(env, var)
            if raw is not None:
                try:
                    values[key] = kind(raw)
                except ValueError:
                    raise ValueError(f"{var} must be {_KIND_NAMES[kind]}, got {raw!r}.") from None
        for key, value in overrides.items():
            if value is not None:
                values[key] = normalize_capture(value) if key == "capture_features" else value
        return cls(**values)


def parse_capture(raw: str) -> CaptureFeatures:
    """``true`` means every feature, ``false`` none, anything else a comma-separated list of names."""
    if raw.strip().lower() == "true":
        return True
    if raw.strip().lower() == "false":
        return False
    return frozenset(name.strip() for name in raw.split(",") if name.strip())


def normalize_capture(value: bool | Iterable[str]) -> CaptureFeatures:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return parse_capture(value)
    return frozenset(value)


def env_flag(name: str, default: bool, environ: Mapping[str, str] | None = None) -> bool:
    """A boolean variable: true only for ``true`` in any case; empty or unset gives the default."""
    raw = _get(os.environ if environ is None else environ, name)
    return default if raw is None else raw.lower() == "true"


def _get(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name)
    return raw.strip() if raw is not None and raw.strip() else None


def secret(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """A secret from ``<name>_FILE`` (a file's stripped contents: compose and Kubernetes secrets),
    else from ``<name>``; ``None`` when neither is set. A ``_FILE`` that cannot be read is an error
    that says which file, not a silent fallback.

    >>> secret("OTEL_ML_DEPLOY_TOKEN", {"OTEL_ML_DEPLOY_TOKEN": " s3cret "})
    's3cret'
    """
    env = os.environ if environ is None else environ
    path = (env.get(f"{name}_FILE") or "").strip()
    if path:
        try:
            with open(path, encoding="utf-8") as file:
                return file.read().strip() or None
        except OSError as exc:
            raise ValueError(f"{name}_FILE: cannot read {path!r} ({exc.strerror})") from None
    return (env.get(name) or "").strip() or None
