"""``BaseInstrumentor``, typed: the contrib module that defines it opens with ``# type: ignore``,
so type checkers see it as ``Any``; this declares the part of it that otel_ml's instrumentors use."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    class BaseInstrumentor:
        """opentelemetry.instrumentation.instrumentor.BaseInstrumentor, as otel_ml uses it."""

        def __new__(cls, *args: Any, **kwargs: Any) -> BaseInstrumentor: ...
        def instrumentation_dependencies(self) -> Collection[str]: ...
        def instrument(self, **kwargs: Any) -> None: ...
        def uninstrument(self, **kwargs: Any) -> None: ...
        @property
        def is_instrumented_by_opentelemetry(self) -> bool: ...
        def _instrument(self, **kwargs: Any) -> None: ...
        def _uninstrument(self, **kwargs: Any) -> None: ...
else:
    from opentelemetry.instrumentation.instrumentor import BaseInstrumentor

__all__ = ["BaseInstrumentor"]
