"""The OpenAPI 3.1 description of the demo service, built from the data set's schema.

>>> from otel_ml.demo.data import load
>>> doc = document(load())
>>> doc["openapi"], sorted(doc["paths"])[:3]
('3.1.0', ['/admin/deploy', '/admin/rollback', '/conversion'])
"""

from __future__ import annotations

from typing import Any

from otel_ml.demo.data import VERSIONS, DemoData
from otel_ml.demo.validation import MAX_BODY_BYTES, MAX_MAGNITUDE
from otel_ml.version import __version__

_PROBLEM = {"description": "An RFC 9457 problem document",
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _ok(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description, **_json(schema or {"type": "object"})}


def document(data: DemoData) -> dict[str, Any]:
    bound = {"minimum": -MAX_MAGNITUDE, "maximum": MAX_MAGNITUDE}
    features = {name: {"type": "number", **bound} for name in data.feature_names}
    secured: list[dict[str, list[str]]] = [{"bearer": []}]
    return {
        "openapi": "3.1.0",
        "info": {"title": "otel-ml demo model service", "version": __version__,
                 "description": "Breast-cancer classifier (scikit-learn), monitored with otel_ml."},
        "paths": {
            "/predict": {"post": {
                "summary": "Classify one row", "operationId": "predict",
                "requestBody": {"required": True, **_json({
                    "type": "object", "required": ["features"], "additionalProperties": False,
                    "properties": {"features": {"type": "object", "properties": features,
                                                "required": list(data.feature_names),
                                                "additionalProperties": False}}})},
                "responses": {
                    "200": _ok("The prediction", {"$ref": "#/components/schemas/Prediction"}),
                    "400": _PROBLEM, "413": {**_PROBLEM, "description": f"Body larger than {MAX_BODY_BYTES} bytes"},
                    "415": _PROBLEM, "422": _PROBLEM, "503": {**_PROBLEM, "description": "The model failed"}}}},
            "/feedback": {"post": {
                "summary": "Report the true label of an earlier prediction", "operationId": "feedback",
                "requestBody": {"required": True, **_json({
                    "type": "object", "required": ["prediction_id", "actual"],
                    "properties": {"prediction_id": {"type": "string"},
                                   "actual": {"type": "string", "enum": list(data.labels)}}})},
                "responses": {"200": _ok("Recorded"), "404": _PROBLEM, "422": _PROBLEM}}},
            "/conversion": {"post": {
                "summary": "Record a conversion, with its value, caused by an earlier prediction",
                "operationId": "conversion",
                "requestBody": {"required": True, **_json({
                    "type": "object", "required": ["prediction_id", "value"],
                    "properties": {"prediction_id": {"type": "string"}, "value": {"type": "number", "minimum": 0,
                                                                                  "maximum": MAX_MAGNITUDE}}})},
                "responses": {"200": _ok("Recorded"), "404": _PROBLEM, "422": _PROBLEM}}},
            "/healthz": {"get": {"summary": "Liveness and the active model version", "operationId": "healthz",
                                 "responses": {"200": _ok("Serving")}}},
            "/openapi.json": {"get": {"summary": "This document", "operationId": "openapi",
                                      "responses": {"200": _ok("OpenAPI 3.1 document")}}},
            "/admin/rollback": {"post": {
                "summary": "Alertmanager / Grafana webhook: roll back on a critical alert for the active version",
                "operationId": "rollback", "security": secured,
                "requestBody": {"required": True, **_json({"type": "object", "required": ["alerts"],
                                                           "properties": {"alerts": {"type": "array"}}})},
                "responses": {"200": _ok("Rolled back, or why not"), "400": _PROBLEM, "401": _ok("Wrong token"),
                              "503": {**_PROBLEM, "description": "No token configured"}}}},
            "/admin/deploy": {"post": {
                "summary": "Serve another model version, optionally with an injected fault rate",
                "operationId": "deploy", "security": secured,
                "requestBody": {"required": True, **_json({
                    "type": "object", "required": ["version"],
                    "properties": {"version": {"type": "string", "enum": list(VERSIONS)},
                                   "fault_rate": {"type": "number", "minimum": 0, "maximum": 1}}})},
                "responses": {"200": _ok("Deployed"), "401": _ok("Wrong token"), "422": _PROBLEM,
                              "503": {**_PROBLEM, "description": "No token configured"}}}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Prediction": {"type": "object", "required": ["prediction_id", "label", "confidence", "model_version"],
                               "properties": {"prediction_id": {"type": "string"},
                                              "label": {"type": "string", "enum": list(data.labels)},
                                              "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                                              "model_version": {"type": "string"}}},
                "Problem": {"type": "object", "required": ["title", "status", "detail"],
                            "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                                           "status": {"type": "integer"}, "detail": {"type": "string"},
                                           "errors": {"type": "array", "items": {"type": "string"}}}},
            },
        },
    }
