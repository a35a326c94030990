"""Demos of otel_ml: ``otel-ml demo`` runs :mod:`otel_ml.demo.run`."""
