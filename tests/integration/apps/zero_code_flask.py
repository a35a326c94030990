"""An unmodified Flask model service: no OpenTelemetry or otel_ml import anywhere.

python zero_code_flask.py PORT   (or: gunicorn zero_code_flask:app, flask --app zero_code_flask run)
"""

import os
import sys

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/predict")
def predict():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("features"), list):
        return jsonify(error="features must be a list of numbers"), 400
    score = sum(body["features"]) / (1 + len(body["features"]))
    return jsonify(label="high" if score > 1 else "low", confidence=0.75, worker=os.getpid())


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
