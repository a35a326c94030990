"""A Flask service for a scikit-learn random forest: a batch of rows in, labels and
probabilities out. Nothing here knows about monitoring."""

import os

import joblib
import numpy as np
from flask import Flask, jsonify, request

app = Flask(__name__)
model = joblib.load(os.path.join(os.path.dirname(__file__), "models", "iris_forest.joblib"))
SPECIES = ["setosa", "versicolor", "virginica"]


@app.post("/predict")
def predict():
    rows = np.asarray(request.get_json()["instances"], dtype=float)
    labels = model.predict(rows)
    probabilities = model.predict_proba(rows)
    return jsonify(predictions=[SPECIES[i] for i in labels], probabilities=probabilities.round(4).tolist())


@app.get("/healthz")
def healthz():
    return {"ok": True}


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
