"""A Flask service scoring an HTML form with a hand-written numpy model (no model library):
form fields in, a decision and its score out; the outcome of each application is posted back to
/feedback. Nothing here knows about monitoring."""


import numpy as np
from flask import Flask, request

app = Flask(__name__)
WEIGHTS = np.array([0.8, -1.2, 0.05])


@app.post("/apply")
def apply():
    x = np.array([float(request.form[k]) for k in ("income", "debt", "years")])
    score = float(1 / (1 + np.exp(-(x @ WEIGHTS - 1.0))))
    return {"decision": "approve" if score >= 0.5 else "refer", "score": round(max(score, 1 - score), 4)}


@app.post("/feedback")
def feedback():
    body = request.get_json()
    app.logger.info("outcome of %s: %s", body["prediction_id"], body["actual"])   # stored by the app, say
    return {"accepted": True}, 202
