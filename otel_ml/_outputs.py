"""Reading ``(label, confidence, value)`` out of whatever a predict function returned."""

from __future__ import annotations

from typing import Any, Mapping

_LABEL_KEYS = ("label", "class", "prediction")
_CONFIDENCE_KEYS = ("confidence", "probability", "score")


def interpret(result: Any) -> tuple[Any, Any, Any]:
    """``(label, confidence, value)`` of one prediction result.

    >>> interpret(("spam", 0.9))
    ('spam', 0.9, None)
    >>> interpret({"label": 1, "confidence": 0.7})
    (1, 0.7, None)
    >>> interpret(3.25)
    (None, None, 3.25)
    >>> interpret("ham")
    ('ham', None, None)
    """
    if isinstance(result, Mapping):
        if "value" in result:
            return None, None, result["value"]
        label = next((result[k] for k in _LABEL_KEYS if k in result), None)
        confidence = next((result[k] for k in _CONFIDENCE_KEYS if k in result), None)
        return label, confidence, None
    if isinstance(result, tuple) and len(result) == 2:
        return result[0], result[1], None
    if isinstance(result, float) or type(result).__name__ in ("float32", "float64"):
        return None, None, result
    return result, None, None
