"""Prediction ids that carry what ground truth needs, signed with a key that every worker and
replica shares, so that an outcome is matched by any process, on any replica, after a restart,
with no shared store.

An id is ``m1.<payload>.<mac>``: the payload (base64url of a compact JSON array) holds the model
version, the time of the prediction, its trace and span ids, and the label or value of each row;
the MAC is HMAC-SHA256 (16 bytes) over the model's name and the payload. The rows of a batch
share one id: row ``i`` is ``<id>.<i>``. An id that does not verify with any of the keys (forged,
tampered, or signed for another model) is ``invalid``; one older than the TTL is ``expired``;
both are counted on ``ml.outcomes.unmatched``, never raised. Ids are signed, not encrypted: the
label a client is told is in its id, nothing else is.

Keys: ``OTEL_ML_PREDICTION_ID_KEY`` (one secret of at least 32 characters) or
``OTEL_ML_PREDICTION_ID_KEY_FILE`` (one key a line: the first signs, every one verifies; the file
is read again when it changes, so a key is rotated by adding the new one first, and removing the
old one once its ids have expired). There is no default key.

>>> signer = IdSigner([b"k" * 32], ttl=3600, clock=lambda: 1000.0)
>>> token = signer.sign("churn", "v2", ["stay", "leave"], None, None, created=990.0)
>>> signer.verify("churn", token + ".1")[0].label, signer.verify("churn", token + ".1")[0].version
('leave', 'v2')
>>> signer.verify("churn", token[:-2] + "xx")[1], signer.verify("other", token + ".0")[1]
('invalid', 'invalid')
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from opentelemetry.trace import SpanContext, TraceFlags

from otel_ml import environment_variables as ev
from otel_ml.store import EXPIRED, StoredPrediction

PREFIX = "m1."
INVALID = "invalid"
"""Why an outcome's id was refused: it does not verify (forged, tampered, another model's, no key)."""
MIN_KEY_LENGTH = 32
_MAC_BYTES = 16


def is_signed(prediction_id: Any) -> bool:
    return isinstance(prediction_id, str) and prediction_id.startswith(PREFIX)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class IdSigner:
    """Signs and verifies prediction ids with a list of keys (the first signs)."""

    def __init__(self, keys: Sequence[bytes], ttl: float = 86_400.0,
                 clock: Callable[[], float] = time.time, key_file: Path | None = None) -> None:
        if not keys:
            raise ValueError("IdSigner needs at least one key.")
        for key in keys:
            if len(key) < MIN_KEY_LENGTH:
                raise ValueError(f"A prediction id key must be at least {MIN_KEY_LENGTH} characters long.")
        self._keys = list(keys)
        self.ttl = ttl
        self._clock = clock
        self._key_file = key_file
        self._mtime = key_file.stat().st_mtime if key_file is not None else None
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, ttl: float = 86_400.0, environ: Mapping[str, str] | None = None) -> IdSigner | None:
        """The signer ``OTEL_ML_PREDICTION_ID_KEY`` or ``..._KEY_FILE`` configure, or ``None``."""
        env = os.environ if environ is None else environ
        key = env.get(ev.OTEL_ML_PREDICTION_ID_KEY, "").strip()
        path = env.get(ev.OTEL_ML_PREDICTION_ID_KEY_FILE, "").strip()
        if path:
            file = Path(path)
            return cls(_read_keys(file), ttl, key_file=file)
        if key:
            if len(key) < MIN_KEY_LENGTH:
                raise ValueError(f"{ev.OTEL_ML_PREDICTION_ID_KEY} must be at least {MIN_KEY_LENGTH} characters long.")
            return cls([key.encode()], ttl)
        return None

    def _current_keys(self) -> list[bytes]:
        if self._key_file is not None:
            try:
                mtime = self._key_file.stat().st_mtime
                if mtime != self._mtime:
                    with self._lock:
                        self._keys, self._mtime = _read_keys(self._key_file), mtime
            except (OSError, ValueError):
                pass                               # keep the keys last read
        return self._keys

    @staticmethod
    def _mac(key: bytes, model: str, payload: str) -> str:
        digest = hmac.new(key, model.encode() + b"\x00" + payload.encode("ascii"), hashlib.sha256).digest()
        return _b64(digest[:_MAC_BYTES])

    def sign(self, model: str, version: str, labels: Sequence[Any] | None, values: Sequence[Any] | None,
             span_context: SpanContext | None, created: float | None = None) -> str:
        """One id for the rows of a call: ``labels`` (texts) or ``values``, one per row."""
        when = int(self._clock() if created is None else created)
        trace = f"{span_context.trace_id:032x}{span_context.span_id:016x}" \
            if span_context is not None and span_context.is_valid else ""
        rows: list[str | float | None]
        if labels is not None:
            kind, rows = 0, [None if v is None else str(v) for v in labels]
        else:
            kind, rows = 1, [_number(v) for v in values or ()]
        payload = _b64(json.dumps([version, when, trace, kind, rows], separators=(",", ":")).encode())
        return f"{PREFIX}{payload}.{self._mac(self._current_keys()[0], model, payload)}"

    def verify(self, model: str, prediction_id: str) -> tuple[StoredPrediction | None, str | None]:
        """The prediction an id stands for, or ``None`` and why not (``invalid`` or ``expired``)."""
        try:
            parts = prediction_id[len(PREFIX):].split(".")
            if not is_signed(prediction_id) or len(parts) not in (2, 3):
                return None, INVALID
            payload, mac = parts[0], parts[1]
            row = int(parts[2]) if len(parts) == 3 else 0
            if not any(hmac.compare_digest(self._mac(key, model, payload), mac) for key in self._current_keys()):
                return None, INVALID
            version, created, trace, kind, rows = json.loads(_unb64(payload))
            if not 0 <= row < len(rows) or (len(parts) == 2 and len(rows) != 1):
                return None, INVALID
        except (ValueError, TypeError, IndexError, UnicodeError):
            return None, INVALID
        if self._clock() - created > self.ttl:
            return None, EXPIRED
        context = SpanContext(int(trace[:32], 16), int(trace[32:], 16), is_remote=True,
                              trace_flags=TraceFlags(TraceFlags.SAMPLED)) if len(trace) == 48 else None
        label, value = (rows[row], None) if kind == 0 else (None, rows[row])
        return StoredPrediction(str(version), label, value, context, float(created)), None


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _read_keys(file: Path) -> list[bytes]:
    keys = [line.strip().encode() for line in file.read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")]
    if not keys:
        raise ValueError(f"{ev.OTEL_ML_PREDICTION_ID_KEY_FILE} names {str(file)!r}, which holds no key.")
    return keys
