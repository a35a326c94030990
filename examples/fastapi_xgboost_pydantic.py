"""A FastAPI service for an XGBoost classifier: pydantic rows of named features in, one result
object per row out. Nothing here knows about monitoring."""

import os

import numpy as np
import xgboost as xgb
from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()
model = xgb.XGBClassifier()
model.load_model(os.path.join(os.path.dirname(__file__), "models", "cancer.ubj"))


class Tumour(BaseModel):
    mean_radius: float
    mean_texture: float
    mean_perimeter: float
    mean_area: float
    mean_smoothness: float


class Batch(BaseModel):
    rows: list[Tumour]


@app.post("/v1/screen")
def screen(batch: Batch) -> dict:
    X = np.array([[r.mean_radius, r.mean_texture, r.mean_perimeter, r.mean_area, r.mean_smoothness]
                  for r in batch.rows])
    scores = model.predict_proba(X)
    return {"results": [{"benign": bool(p[1] > 0.5), "score": round(float(p.max()), 4)} for p in scores]}
