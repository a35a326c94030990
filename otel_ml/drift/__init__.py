"""Data drift: exact, fast, calibrated in-process detection, and fleet-level counts for Prometheus.

>>> from otel_ml.drift import DriftProcessor, Correction
>>> Correction.CALIBRATED.value
'calibrated'
"""

from otel_ml.drift.detectors import ChiSquaredDrift, KSDrift
from otel_ml.drift.performance import Estimate, PerformanceEstimator
from otel_ml.drift.processor import CONFIDENCE, JOINT, PREDICTION, DriftProcessor
from otel_ml.drift.reference import ReferenceProfile
from otel_ml.drift.result import Correction, DriftReport, FeatureDrift

__all__ = ["CONFIDENCE", "JOINT", "PREDICTION", "ChiSquaredDrift", "Correction", "DriftProcessor", "DriftReport",
           "Estimate", "FeatureDrift", "KSDrift", "PerformanceEstimator", "ReferenceProfile"]
