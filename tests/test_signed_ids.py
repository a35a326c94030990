"""otel_ml/signed_ids.py and its use by ModelMonitor: outcomes matched by any process that holds
the key, forged, tampered and expired ids refused and counted."""

from __future__ import annotations

import numpy as np
import pytest

from otel_ml import semconv
from otel_ml.signed_ids import INVALID, IdSigner
from otel_ml.store import EXPIRED

KEY = b"a-shared-secret-of-32-characters!!"


def test_ids_round_trip_labels_values_and_rows():
    signer = IdSigner([KEY])
    one = signer.sign("m", "v1", ["yes"], None, None)
    stored, reason = signer.verify("m", one)
    assert reason is None and (stored.version, stored.label, stored.value) == ("v1", "yes", None)
    batch = signer.sign("m", "v2", None, [1.5, 2.5, float("nan")], None)
    assert [signer.verify("m", f"{batch}.{i}")[0].value for i in range(3)] == [1.5, 2.5, None]
    assert signer.verify("m", batch)[1] == INVALID                  # a batch's id needs its row
    assert signer.verify("m", f"{batch}.3")[1] == INVALID


@pytest.mark.parametrize("change", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),               # the MAC
    lambda t: t[:5] + ("x" if t[5] != "x" else "y") + t[6:],        # the payload
    lambda t: "m1." + t.split(".")[1],                              # no MAC
    lambda t: "m1.garbage.garbage", lambda t: "m1.", lambda t: t + ".0.1",
], ids=["mac", "payload", "no-mac", "garbage", "empty", "extra"])
def test_tampered_and_forged_ids_are_invalid(change):
    signer = IdSigner([KEY])
    token = signer.sign("m", "v1", ["yes"], None, None)
    assert signer.verify("m", change(token)) == (None, INVALID)


def test_another_models_or_another_keys_id_is_invalid():
    token = IdSigner([KEY]).sign("fraud", "v1", ["1"], None, None)
    assert IdSigner([KEY]).verify("churn", token)[1] == INVALID
    assert IdSigner([b"another-secret-of-32-characters!!!"]).verify("fraud", token)[1] == INVALID


def test_expired_ids():
    now = [1000.0]
    signer = IdSigner([KEY], ttl=60, clock=lambda: now[0])
    token = signer.sign("m", "v1", ["yes"], None, None)
    now[0] += 61
    assert signer.verify("m", token) == (None, EXPIRED)


def test_rotation_through_the_key_file(tmp_path):
    keys = tmp_path / "keys"
    keys.write_text(KEY.decode() + "\n")
    signer = IdSigner.from_env(environ={"OTEL_ML_PREDICTION_ID_KEY_FILE": str(keys)})
    old = signer.sign("m", "v1", ["a"], None, None)
    new_key = "the-next-secret-of-32-characters!!"
    keys.write_text(f"{new_key}\n{KEY.decode()}\n")
    import os

    os.utime(keys, (1, 1))                                          # a new mtime, whatever the clock
    fresh = signer.sign("m", "v1", ["b"], None, None)
    assert signer.verify("m", old)[0].label == "a"                  # the old key still verifies
    assert IdSigner([new_key.encode()]).verify("m", fresh)[0].label == "b"   # the new one signs
    keys.write_text(f"{new_key}\n")
    os.utime(keys, (2, 2))
    assert signer.verify("m", old)[1] == INVALID                    # the old key is gone


@pytest.mark.parametrize("environ", [{"OTEL_ML_PREDICTION_ID_KEY": "short"}])
def test_a_short_key_is_refused(environ):
    with pytest.raises(ValueError, match="at least 32 characters"):
        IdSigner.from_env(environ=environ)


def test_no_key_no_signer():
    assert IdSigner.from_env(environ={}) is None


def test_outcomes_are_matched_by_another_process_with_the_key(sinks, monkeypatch):
    monkeypatch.setenv("OTEL_ML_PREDICTION_ID_KEY", KEY.decode())
    serving, feedback = sinks.monitor("fraud", "v3"), sinks.monitor("fraud", "v3")   # two processes, say
    with serving.predict([1.0, 2.0]) as p:
        p.record("1", confidence=0.9)
        inside = p.id
    assert p.id == inside and p.id.startswith("m1.")
    wrapped_rows = serving.wrap(_Classifier()).predict(np.zeros((3, 2)))
    assert list(wrapped_rows) == [0, 1, 0]
    assert feedback.record_outcome(p.id, actual="1") is True
    assert feedback.record_outcome(p.id[:-1] + "x", actual="1") is False
    assert feedback.record_outcome("0123456789abcdef", actual="1") is False     # a random id: not this process's
    assert sinks.value(semconv.ML_OUTCOMES, ml__outcome__correct="true") == 1
    assert sinks.value(semconv.ML_OUTCOMES_UNMATCHED, ml__outcome__reason="invalid") == 1
    assert sinks.value(semconv.ML_OUTCOMES_UNMATCHED, ml__outcome__reason="unknown") == 1
    assert len(serving._store) == 0                                 # signed ids need no store


class _Classifier:
    classes_ = np.array([0, 1])

    def predict(self, X):
        return np.array([0, 1, 0])
