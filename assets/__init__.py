"""Everything generated in this repository, and the code that generates it (``python -m assets``).

Not part of the wheel: the package's modules are the sources of ``otel_ml/semconv.py`` (from
``model/registry.yaml``), the tables of ``docs/`` and the files under ``grafana/``.
"""
