"""A FastAPI service for an ONNX model: a plain list of rows in, labels and confidences out.
Run as python fastapi_onnx_list.py (uvicorn inside). Nothing here knows about monitoring."""

import os

import numpy as np
import onnxruntime as ort
import uvicorn
from fastapi import FastAPI

app = FastAPI()
session = ort.InferenceSession(os.path.join(os.path.dirname(__file__), "models", "iris.onnx"),
                               providers=["CPUExecutionProvider"])
INPUT = session.get_inputs()[0].name


@app.post("/predict")
def predict(rows: list[list[float]]) -> dict:
    labels, probabilities = session.run(None, {INPUT: np.asarray(rows, dtype=np.float32)})
    return {"labels": labels.tolist(), "confidences": [round(max(p.values()), 4) for p in probabilities]}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
