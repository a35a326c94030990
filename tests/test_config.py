import pytest

from otel_ml.config import MonitorConfig, env_flag


def test_defaults():
    config = MonitorConfig.from_env(environ={})
    assert config.capture_features is False
    assert (config.max_labels, config.store_size, config.store_ttl, config.log_sample_ratio) == (50, 100_000, 86_400, 1)


def test_arguments_win_over_environment_and_empty_means_unset():
    env = {"OTEL_ML_MAX_LABELS": "9", "OTEL_ML_STORE_SIZE": "", "OTEL_ML_CAPTURE_FEATURES": "true"}
    config = MonitorConfig.from_env(environ=env, max_labels=4)
    assert config.max_labels == 4
    assert config.store_size == 100_000
    assert config.capture_features is True


@pytest.mark.parametrize(("env", "message"), [
    ({"OTEL_ML_MAX_LABELS": "many"}, "OTEL_ML_MAX_LABELS must be a whole number, got 'many'"),
    ({"OTEL_ML_LOG_PREDICTIONS": "2"}, "log_sample_ratio must be between 0 and 1"),
    ({"OTEL_ML_STORE_TTL": "0"}, "store_ttl must be a positive number"),
], ids=["not-a-number", "ratio-above-one", "zero-ttl"])
def test_bad_values_get_a_clear_error(env, message):
    with pytest.raises(ValueError, match=message):
        MonitorConfig.from_env(environ=env)


def test_boolean_is_true_only_for_true():
    assert env_flag("X", False, {"X": "TRUE"}) is True
    assert env_flag("X", True, {"X": "yes"}) is False
    assert env_flag("X", True, {"X": ""}) is True
