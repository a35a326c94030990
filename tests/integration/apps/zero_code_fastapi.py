"""An unmodified FastAPI model service: no OpenTelemetry or otel_ml import anywhere.

uvicorn zero_code_fastapi:app --workers 2
"""

import os

from fastapi import FastAPI, HTTPException

app = FastAPI()


@app.post("/predict")
def predict(body: dict):
    features = body.get("features")
    if not isinstance(features, list):
        raise HTTPException(422, "features must be a list of numbers")
    score = sum(features) / (1 + len(features))
    return {"label": "high" if score > 1 else "low", "confidence": 0.75, "worker": os.getpid()}
