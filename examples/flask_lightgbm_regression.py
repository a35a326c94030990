"""A Flask service for a LightGBM regression booster: one row of named features in, a number out.
Nothing here knows about monitoring."""

import os

import lightgbm as lgb
import numpy as np
from flask import Flask, request

app = Flask(__name__)
booster = lgb.Booster(model_file=os.path.join(os.path.dirname(__file__), "models", "diabetes.txt"))
FEATURES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]


@app.post("/progression")
def progression():
    body = request.get_json()
    row = np.array([[float(body[name]) for name in FEATURES]])
    return {"progression": round(float(booster.predict(row)[0]), 3)}
