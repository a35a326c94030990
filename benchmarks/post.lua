-- wrk script: POST one JSON prediction request (20 features)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"features": [0.1, -0.2, 0.3, 0.5, -1.2, 0.7, 0.0, 0.4, -0.3, 0.9, 1.1, -0.6, 0.2, 0.8, -0.4, 0.05, 0.3, -0.9, 0.6, 0.15]}'
