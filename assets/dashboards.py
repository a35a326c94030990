"""The otel-ml Grafana dashboards, as code (written to grafana/dashboards/ by ``python -m assets``).

Helpers build panels and targets with the datasource uids of ``assets/datasources.py``; every
dashboard has the variables
``service``, ``model`` and ``version`` and links to the others.
"""

from __future__ import annotations

from typing import Any

from assets import datasources, recording
from otel_ml import alerts, semconv
from otel_ml.promql import (
    ACTIVE,
    BUSINESS_EVENTS,
    BUSINESS_VALUE,
    BY_VERSION,
    CONFIDENCE,
    CORRECT,
    DRIFT_DETECTED,
    DRIFT_P_VALUE,
    DRIFT_STATISTIC,
    DRIFT_THRESHOLD,
    DRIFT_WINDOW_SIZE,
    ERROR,
    ESTIMATED_ACCURACY,
    ESTIMATED_PRECISION,
    ESTIMATED_RECALL,
    EVENT,
    FEATURE,
    FROM_VERSION,
    HTTP_ACTIVE,
    HTTP_DURATION,
    HTTP_STATUS,
    INSTANCE,
    LABEL,
    METHOD,
    MODEL,
    MONITOR_PART,
    MONITOR_PROBLEMS,
    MONITOR_TIME,
    OUTCOME_LABEL,
    OUTCOMES,
    PREDICTION_DURATION_BUCKET,
    PREDICTIONS,
    PROBLEM,
    PROCESS_CPU,
    PROCESS_MEMORY,
    ROLLBACK_REASON,
    ROLLBACKS,
    ROUTE,
    SDK_LOGS_EXPORTED,
    SDK_LOGS_PROCESSED,
    SDK_POINTS_EXPORTED,
    SDK_SPANS_EXPORTED,
    SDK_SPANS_PROCESSED,
    SERVICE,
    STATUS,
    VERSION,
)

PROMETHEUS = {"type": "prometheus", "uid": datasources.PROMETHEUS_UID}
LOKI = {"type": "loki", "uid": datasources.LOKI_UID}
TEMPO = {"type": "tempo", "uid": datasources.TEMPO_UID}
SEL = f'{SERVICE}=~"$service",{MODEL}=~"$model",{VERSION}=~"$version"'
HTTP = f'{SERVICE}=~"$service",{ROUTE}="/predict"'
SPAN_SERVICE = f"resource.{semconv.SERVICE_NAME}"
SPAN_PREDICT = f'name =~ "{semconv.PREDICT_SPAN} .*"'
Json = dict[str, Any]
"""A piece of a dashboard's JSON model."""
RATE = "[$__rate_interval]"
RANGE = "[$__range]"


def legend_of(*labels: str) -> str:
    """A legend naming each series by these labels' values: ``{{label}}``."""
    return " ".join("{{" + label + "}}" for label in labels)


def prom(expr: str, legend: str = "", ref: str = "A", *, exemplar: bool = False, instant: bool = False,
         fmt: str | None = None) -> dict[str, Any]:
    target: dict[str, Any] = {"refId": ref, "datasource": PROMETHEUS, "expr": expr, "legendFormat": legend,
                              "range": not instant, "instant": instant}
    if exemplar:
        target["exemplar"] = True
    if fmt:
        target["format"] = fmt
    return target


def loki(expr: str, ref: str = "A", *, query_type: str = "range") -> dict[str, Any]:
    return {"refId": ref, "datasource": LOKI, "expr": expr, "queryType": query_type}


def traceql(query: str, ref: str = "A", limit: int = 20) -> dict[str, Any]:
    return {"refId": ref, "datasource": TEMPO, "queryType": "traceql", "query": query, "limit": limit,
            "tableType": "traces"}


def panel(pid: int, title: str, kind: str, targets: list[Json], grid: tuple[int, int, int, int], *,
          unit: str | None = None, description: str = "", datasource: Json = PROMETHEUS, **options: Any) -> Json:
    x, y, w, h = grid
    field_config: dict[str, Any] = {"defaults": dict(options.pop("fieldConfigDefaults", {})), "overrides": []}
    if unit:
        field_config["defaults"]["unit"] = unit
    body = {"id": pid, "title": title, "type": kind, "datasource": datasource, "targets": targets,
            "gridPos": {"x": x, "y": y, "w": w, "h": h}, "fieldConfig": field_config, "description": description}
    body.update(options)
    return body


def row(pid: int, title: str, y: int) -> Json:
    return {"id": pid, "title": title, "type": "row", "collapsed": False, "panels": [],
            "gridPos": {"x": 0, "y": y, "w": 24, "h": 1}}


def query_variable(name: str, label: str, query: str) -> Json:
    return {"name": name, "label": label, "type": "query", "datasource": PROMETHEUS,
            "query": {"query": query, "refId": f"{name}-variable"}, "definition": query, "refresh": 2,
            "multi": True, "includeAll": True, "allValue": ".*", "current": {}, "sort": 1}


def variables() -> list[Json]:
    return [
        query_variable("service", "Service", f"label_values({PREDICTIONS}, {SERVICE})"),
        query_variable("model", "Model", f'label_values({PREDICTIONS}{{{SERVICE}=~"$service"}}, {MODEL})'),
        query_variable("version", "Version", f'label_values({PREDICTIONS}{{{SERVICE}=~"$service",'
                                             f'{MODEL}=~"$model"}}, {VERSION})'),
    ]


def dashboard(uid: str, title: str, description: str, panels: list[Json], extra: list[Json] | None = None,
              time_from: str = "now-1h") -> Json:
    return {
        "uid": uid, "title": title, "description": description, "tags": ["otel-ml", "ml"],
        "editable": True, "graphTooltip": 1, "schemaVersion": 41, "version": 1, "refresh": "30s",
        "time": {"from": time_from, "to": "now"}, "timezone": "browser", "fiscalYearStartMonth": 0,
        "annotations": {"list": []},
        "links": [{"type": "dashboards", "tags": ["otel-ml"], "asDropdown": False, "title": "otel-ml",
                   "includeVars": True, "keepTime": True}],
        "templating": {"list": variables() + (extra or [])},
        "panels": panels,
    }


def overview() -> Json:
    return dashboard("otel-ml-overview", "otel-ml / Overview",
                     "System, model and business view of monitored models.", [
        row(100, "System", 0),
        panel(1, "Request and prediction rate", "timeseries", [
            prom(f"sum by ({ROUTE}) (rate({HTTP_DURATION}_count{{{SERVICE}=~\"$service\"}}{RATE}))",
                 legend_of(ROUTE) + " requests"),
            prom(f"sum by ({VERSION}) (rate({PREDICTIONS}{{{SEL}}}{RATE}))", legend_of(VERSION) + " predictions",
                 "B")], (0, 1, 8, 8), unit="reqps"),
        panel(2, "Active requests and predictions", "timeseries", [
            prom(f'sum({HTTP_ACTIVE}{{{SERVICE}=~"$service"}})', "HTTP requests"),
            prom(f"sum({ACTIVE}{{{SEL}}})", "predictions", "B")], (8, 1, 8, 8), unit="short"),
        panel(3, "Error rate by type", "timeseries", [
            prom(f"sum by ({VERSION}, {ERROR}) (rate({PREDICTIONS}{{{SEL},{STATUS}=\"error\"}}{RATE}))"
                 f" / ignoring ({ERROR}) group_left sum by ({VERSION}) (rate({PREDICTIONS}{{{SEL}}}{RATE}))",
                 legend_of(VERSION, ERROR))], (16, 1, 8, 8), unit="percentunit"),
        panel(4, "Prediction latency p50 / p95 / p99", "timeseries", [
            prom(f"histogram_quantile({q}, sum by (le) (rate({PREDICTION_DURATION_BUCKET}{{{SEL}}}{RATE})))",
                 f"p{round(q * 100)}", ref, exemplar=True)
            for q, ref in ((0.5, "A"), (0.95, "B"), (0.99, "C"))], (0, 9, 8, 8), unit="s",
            description="Exemplars link to the prediction's trace in Tempo."),
        panel(5, "CPU", "timeseries", [
            prom(f"sum by ({INSTANCE}) (rate({PROCESS_CPU}{{{SERVICE}=~\"$service\"}}{RATE}))",
                 legend_of(INSTANCE))], (8, 9, 8, 8), unit="percentunit",
            description="CPU seconds per second of each service process."),
        panel(6, "Memory", "timeseries", [
            prom(f'sum by ({INSTANCE}) ({PROCESS_MEMORY}{{{SERVICE}=~"$service"}})',
                 legend_of(INSTANCE))], (16, 9, 8, 8), unit="bytes"),
        row(101, "Model", 17),
        panel(7, "Prediction distribution", "timeseries", [
            prom(f"sum by ({LABEL}) (rate({PREDICTIONS}{{{SEL},{STATUS}=\"ok\"}}{RATE}))",
                 legend_of(LABEL))], (0, 18, 8, 8), unit="reqps",
            options={"legend": {"displayMode": "table", "placement": "right"}},
            fieldConfigDefaults={"custom": {"stacking": {"mode": "normal"}}}),
        panel(8, "Confidence", "heatmap", [
            prom(f"sum by (le) (rate({CONFIDENCE}_bucket{{{SEL}}}{RATE}))", "{{le}}", fmt="heatmap")],
            (8, 18, 8, 8), options={"calculate": False, "yAxis": {"unit": "percentunit"}}),
        panel(9, "Mean confidence per label", "timeseries", [
            prom(f"sum by ({LABEL}) (rate({CONFIDENCE}_sum{{{SEL}}}{RATE}))"
                 f" / sum by ({LABEL}) (rate({CONFIDENCE}_count{{{SEL}}}{RATE}))",
                 legend_of(LABEL))], (16, 18, 4, 8), unit="percentunit"),
        panel(10, "Low-confidence share (<= 0.7)", "timeseries", [
            prom(f"sum(rate({CONFIDENCE}_bucket{{{SEL},le=\"0.7\"}}{RATE}))"
                 f" / sum(rate({CONFIDENCE}_count{{{SEL}}}{RATE}))", "share")],
            (20, 18, 4, 8), unit="percentunit"),
        row(102, "Business", 26),
        panel(11, "Conversions per version", "timeseries", [
            prom(f"sum by ({VERSION}) (rate({BUSINESS_EVENTS}{{{SEL},{EVENT}=\"conversion\"}}{RATE}))",
                 legend_of(VERSION))], (0, 27, 8, 8), unit="reqps"),
        panel(12, "Revenue per version", "bargauge", [
            prom(f"sum by ({VERSION}) (increase({BUSINESS_VALUE}{{{SEL}}}{RANGE}))",
                 legend_of(VERSION), instant=True)], (8, 27, 8, 8), unit="currencyUSD"),
        panel(13, "Rollbacks", "table", [
            prom(f"sum by ({FROM_VERSION}, {VERSION}, {ROLLBACK_REASON}) "
                 f"(increase({ROLLBACKS}{{{SERVICE}=~\"$service\",{MODEL}=~\"$model\"}}{RANGE}))",
                 instant=True, fmt="table")], (16, 27, 8, 8)),
        row(103, "Monitoring", 35),
        panel(14, "Telemetry lost", "bargauge", [
            prom(f"sum(increase({metric}{{{SERVICE}=~\"$service\",{where}}}{RANGE})) or vector(0)", legend, ref,
                 instant=True)
            for ref, (metric, where, legend) in zip("ABCDEF", (
                (f"{SDK_SPANS_EXPORTED}", f'{ERROR}!=""', "spans not exported"),
                (f"{SDK_SPANS_PROCESSED}", f'{ERROR}!=""', "spans dropped (queue full)"),
                (f"{SDK_LOGS_EXPORTED}", f'{ERROR}!=""', "log records not exported"),
                (f"{SDK_LOGS_PROCESSED}", f'{ERROR}!=""', "log records dropped (queue full)"),
                (f"{SDK_POINTS_EXPORTED}", f'{ERROR}!=""', "metric points not exported"),
                (f"{MONITOR_PROBLEMS}", f'{PROBLEM}="log_queue_full"', "prediction records dropped"),
            ))], (0, 36, 12, 8), unit="short",
            description="What the SDK could not export or had to drop (its own metrics: "
                        "OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED=true, which otel_ml.configure() turns on), "
                        "and the prediction log records otel_ml's queue dropped. Counted when the "
                        "collector is back, since they travel the same way."),
        panel(15, "What monitoring costs, per prediction", "timeseries", [
            prom(f"sum by ({MONITOR_PART}) (rate({MONITOR_TIME}{{{SEL}}}{RATE}))"
                 f" / on() group_left() sum(rate({PREDICTIONS}{{{SEL}}}{RATE}))", legend_of(MONITOR_PART))],
            (12, 36, 12, 8), unit="s",
            description="otel_ml's own time per prediction: its hooks on the request threads (request), "
                        "and the CPU of its drift and log threads (drift, logs). The SDK's export threads "
                        "are not in it; docs/cost.md gives their cost."),
    ])


def drift() -> Json:
    features = f'{SEL},{FEATURE}!~"\\\\(.*\\\\)"'
    return dashboard("otel-ml-drift", "otel-ml / Drift",
                     "Input, prediction and confidence drift against the reference.", [
        panel(1, "KS statistic per feature", "timeseries", [
            prom(f'max by ({FEATURE}) ({DRIFT_STATISTIC}{{{features},{METHOD}="ks"}})',
                 legend_of(FEATURE))], (0, 0, 12, 8), unit="short"),
        panel(2, "KS p-value per feature", "timeseries", [
            prom(f'min by ({FEATURE}) ({DRIFT_P_VALUE}{{{features},{METHOD}="ks"}})',
                 legend_of(FEATURE))], (12, 0, 12, 8), unit="short",
            fieldConfigDefaults={"custom": {"scaleDistribution": {"type": "log", "log": 10}}}),
        panel(3, "Drifted features", "table", [
            prom(f"max by ({VERSION}, {FEATURE}) (max_over_time({DRIFT_DETECTED}{{{SEL}}}{RANGE}))",
                 instant=True, fmt="table")], (0, 8, 8, 9),
            description="1: drift detected at some point in the time range; 0: not."),
        panel(4, "Fleet PSI per feature (last hour, all instances)", "timeseries", [
            prom(f'max by ({FEATURE}) ({recording.FLEET_PSI_1H}{{{MODEL}=~"$model",{VERSION}=~"$version"}})',
                 legend_of(FEATURE))], (8, 8, 8, 9), unit="short",
            description="From the recording rules in grafana/rules/drift.yml. Above 0.2: significant shift."),
        panel(5, "PSI per feature (this window)", "bargauge", [
            prom(f'max by ({FEATURE}) ({DRIFT_STATISTIC}{{{features},{METHOD}="psi"}})',
                 legend_of(FEATURE), instant=True)], (16, 8, 8, 9), unit="short"),
        panel(6, "Prediction and confidence drift", "timeseries", [
            prom(f'max by ({FEATURE}, {METHOD}) ({DRIFT_STATISTIC}{{{SEL},'
                 f'{FEATURE}=~"\\\\(prediction\\\\)|\\\\(confidence\\\\)",{METHOD}=~"ks|chi2"}})',
                 legend_of(FEATURE, METHOD))], (0, 17, 12, 8), unit="short"),
        panel(7, "Tested window size", "timeseries", [
            prom(f"min by ({FEATURE}) ({DRIFT_WINDOW_SIZE}{{{SEL}}})", legend_of(FEATURE))],
            (12, 17, 12, 8), unit="short"),
        panel(8, "Fleet chi-squared per feature (last hour, all instances)", "timeseries", [
            prom(f"max by ({FEATURE}) ({alerts.fleet_chi2_expr(BY_VERSION, '1h', '{' + SEL + '}')})",
                 legend_of(FEATURE))], (0, 25, 24, 8), unit="short",
            description=f"MLFleetDrift fires above {alerts.FLEET_CHI2_CRITICAL:g}: the decile counts of every "
                        "worker and replica against the reference's, two-sample, 9 degrees of freedom."),
        panel(9, "Scan: mean and spread shift per feature (standard errors)", "timeseries", [
            prom(f'max by ({FEATURE}, {METHOD}) ({DRIFT_STATISTIC}{{{SEL},{METHOD}=~"mean|variance"}})',
                 legend_of(FEATURE, METHOD))], (0, 33, 12, 8), unit="short",
            description="The sequential scan: the most significant of the windows of 100 to 3200 samples, as a "
                        "normal deviate of the feature's mean normal score (mean) or of its spread (variance)."),
        panel(10, "Joint check: how features move together (p-value)", "timeseries", [
            prom(f'min by ({VERSION}) ({DRIFT_P_VALUE}{{{SEL},{METHOD}="covariance"}})', legend_of(VERSION)),
            prom(f"max by ({VERSION}) ({DRIFT_THRESHOLD}{{{SEL}}})", "threshold " + legend_of(VERSION), "B")],
            (12, 33, 12, 8), unit="short",
            fieldConfigDefaults={"custom": {"scaleDistribution": {"type": "log", "log": 10}}},
            description="The smallest p-value of the correlation of every two features against the reference's; "
                        "below the threshold, the feature (joint) is drifted. Finds a changed correlation "
                        "that no test of one feature can see."),
    ])


def performance() -> Json:
    positive = {"name": "positive", "label": "Positive class", "type": "query", "datasource": PROMETHEUS,
                "query": {"query": f'label_values({OUTCOMES}{{{MODEL}=~"$model"}}, {OUTCOME_LABEL})',
                          "refId": "positive-variable"},
                "definition": f'label_values({OUTCOMES}{{{MODEL}=~"$model"}}, {OUTCOME_LABEL})',
                "refresh": 2, "multi": False, "includeAll": False, "current": {}, "sort": 1}
    outcomes = f"{OUTCOMES}{{{SEL}"
    stat = {"reduceOptions": {"calcs": ["lastNotNull"], "values": False}, "colorMode": "value"}
    return dashboard("otel-ml-performance", "otel-ml / Performance summary",
                     "Totals and percentiles over the chosen time range.", [
        panel(1, "Total requests", "stat", [
            prom(f"sum(increase({HTTP_DURATION}_count{{{HTTP}}}{RANGE}))", instant=True)],
            (0, 0, 4, 5), unit="short", options=stat),
        panel(2, "Success rate", "stat", [
            prom(f'sum(increase({HTTP_DURATION}_count{{{HTTP},{HTTP_STATUS}=~"2.."}}{RANGE}))'
                 f" / sum(increase({HTTP_DURATION}_count{{{HTTP}}}{RANGE}))", instant=True)],
            (4, 0, 4, 5), unit="percentunit", options=stat),
        panel(3, "Average latency", "stat", [
            prom(f"sum(increase({HTTP_DURATION}_sum{{{HTTP}}}{RANGE}))"
                 f" / sum(increase({HTTP_DURATION}_count{{{HTTP}}}{RANGE}))", instant=True)],
            (8, 0, 4, 5), unit="s", options=stat),
        *[panel(pid, title, "stat", [
            prom(f"histogram_quantile({q}, sum by (le) (increase({HTTP_DURATION}_bucket{{{HTTP}}}{RANGE})))",
                 instant=True)], (x, 0, 4, 5), unit="s", options=stat, description=description)
          for pid, title, q, x, description in (
              (4, "p95 latency", 0.95, 12, ""), (5, "p99 latency", 0.99, 16, ""),
              (6, "Max latency (bucket bound)", 1, 20,
               "The upper bound of the highest non-empty latency bucket: histograms do not keep the exact maximum."))],
        panel(7, "Accuracy", "stat", [
            prom(f'sum(increase({outcomes},{CORRECT}="true"}}{RANGE})) / sum(increase({outcomes}}}{RANGE}))',
                 instant=True)], (0, 5, 8, 5), unit="percentunit", options=stat,
            description="Share of predictions whose ground truth (from /feedback) matched."),
        panel(8, "Precision ($positive)", "stat", [
            prom(f'sum(increase({outcomes},{LABEL}="$positive",{CORRECT}="true"}}{RANGE}))'
                 f' / sum(increase({outcomes},{LABEL}="$positive"}}{RANGE}))', instant=True)],
            (8, 5, 8, 5), unit="percentunit", options=stat),
        panel(9, "Recall ($positive)", "stat", [
            prom(f'sum(increase({outcomes},{OUTCOME_LABEL}="$positive",{CORRECT}="true"}}{RANGE}))'
                 f' / sum(increase({outcomes},{OUTCOME_LABEL}="$positive"}}{RANGE}))', instant=True)],
            (16, 5, 8, 5), unit="percentunit", options=stat),
        panel(10, "Accuracy per version", "timeseries", [
            prom(f'sum by ({VERSION}) (rate({outcomes},{CORRECT}="true"}}{RATE}))'
                 f" / sum by ({VERSION}) (rate({outcomes}}}{RATE}))", legend_of(VERSION))],
            (0, 10, 24, 8), unit="percentunit"),
        panel(11, "Estimated (from confidences) and realized accuracy", "timeseries", [
            prom(f"avg by ({VERSION}) ({ESTIMATED_ACCURACY}{{{SEL}}})", "estimated " + legend_of(VERSION)),
            prom(f'sum by ({VERSION}) (rate({outcomes},{CORRECT}="true"}}{RATE}))'
                 f" / sum by ({VERSION}) (rate({outcomes}}}{RATE}))", "realized " + legend_of(VERSION), "B")],
            (0, 18, 12, 8), unit="percentunit",
            description="Estimated: CBPE over each worker's last window of predictions (the drift processor "
                        "fitted with labels), averaged over workers; available before the labels arrive. "
                        "It tracks shifts of the inputs, not concept drift: a gap that opens between the "
                        "two once labels arrive is the world changing, not the inputs."),
        panel(12, "Estimated precision and recall ($positive)", "timeseries", [
            prom(f'avg by ({VERSION}) ({ESTIMATED_PRECISION}{{{SEL},{LABEL}="$positive"}})',
                 "precision " + legend_of(VERSION)),
            prom(f'avg by ({VERSION}) ({ESTIMATED_RECALL}{{{SEL},{LABEL}="$positive"}})',
                 "recall " + legend_of(VERSION), "B")],
            (12, 18, 12, 8), unit="percentunit",
            description="CBPE's precision and recall of the drift processor's positive class."),
    ], extra=[positive], time_from="now-30m")


def logs_and_traces() -> Json:
    stream = f'{{{SERVICE}=~"$service"}}'
    return dashboard("otel-ml-logs-traces", "otel-ml / Logs and traces",
                     "Prediction log records (Loki) and traces (Tempo), linked by trace id.", [
        panel(1, "Prediction logs", "logs", [
            loki(f'{stream} | {MODEL}=~"$model" | {VERSION}=~"$version"')], (0, 0, 24, 10),
            datasource=LOKI, options={"showTime": True, "wrapLogMessage": True, "enableLogDetails": True},
            description="Each record's trace_id links to its trace in Tempo (Loki derived field)."),
        panel(2, "Failed predictions and rollbacks", "logs", [
            loki(f'{stream} | severity_text=~"ERROR|WARN" | {MODEL}=~"$model"')], (0, 10, 12, 8),
            datasource=LOKI),
        panel(3, "Log records by severity", "timeseries", [
            loki(f'sum by (severity_text) (count_over_time({stream} | {MODEL}=~"$model" [$__auto]))')],
            (12, 10, 12, 8), datasource=LOKI, unit="short"),
        panel(4, "Prediction traces", "table", [
            traceql(f'{{ {SPAN_SERVICE} =~ "$service" && {SPAN_PREDICT} '
                    f'&& span.{semconv.ML_MODEL_VERSION} =~ "$version" }}')],
            (0, 18, 12, 9), datasource=TEMPO),
        panel(5, "Slow or failed predictions", "table", [
            traceql(f'{{ {SPAN_SERVICE} =~ "$service" && {SPAN_PREDICT} && (duration > 100ms || status = error) }}')],
            (12, 18, 12, 9), datasource=TEMPO),
    ], time_from="now-15m")


DASHBOARDS = {"overview.json": overview, "drift.json": drift, "performance.json": performance,
              "logs-traces.json": logs_and_traces}


INPUTS = {"prometheus": ("DS_PROMETHEUS", "Prometheus", "Prometheus, Mimir or VictoriaMetrics with otel-ml's metrics"),
          "loki": ("DS_LOKI", "Loki", "Loki with otel-ml's prediction log records"),
          "tempo": ("DS_TEMPO", "Tempo", "Tempo with otel-ml's prediction spans")}
"""Datasource type: the import input that replaces its fixed uid, its label and description."""


def importable(model: Json) -> Json:
    """A copy for Grafana's *Import dashboard*: every fixed datasource uid becomes ``${DS_...}``,
    declared in ``__inputs``, so the importer picks their own datasources, whatever their uids."""
    used: set[str] = set()

    def swap(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {"type", "uid"} and node["type"] in INPUTS:
                used.add(node["type"])
                return {"type": node["type"], "uid": "${" + INPUTS[node["type"]][0] + "}"}
            return {key: swap(value) for key, value in node.items()}
        if isinstance(node, list):
            return [swap(value) for value in node]
        return node

    body = swap(model)
    inputs = [{"name": INPUTS[t][0], "label": INPUTS[t][1], "description": INPUTS[t][2], "type": "datasource",
               "pluginId": t, "pluginName": INPUTS[t][1]} for t in sorted(used)]
    requires = [{"type": "grafana", "id": "grafana", "name": "Grafana", "version": "11.0.0"},
                *({"type": "datasource", "id": t, "name": INPUTS[t][1], "version": "1.0.0"} for t in sorted(used))]
    return {"__inputs": inputs, "__requires": requires, **body, "id": None}
