"""A FastAPI service for a linear model kept as numpy weights (no model library): one object of
named features in, a float out. Nothing here knows about monitoring."""

import os

import numpy as np
from fastapi import FastAPI

app = FastAPI()
weights = np.load(os.path.join(os.path.dirname(__file__), "models", "ridge_weights.npy"))


@app.post("/predict")
def predict(body: dict) -> dict:
    x = np.array([body["features"][k] for k in ("age", "sex", "bmi")], dtype=float)
    return {"prediction": round(float(x @ weights[:-1] + weights[-1]), 3)}
