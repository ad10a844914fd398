"""contrib/: the Prometheus alerting rules pass `promtool check rules` and each has `for:`, a
severity and words for whoever gets it; the Grafana dashboard parses, and every query in it
(and in the rules) is PromQL that promtool parses, naming only metrics that a running
Firebell's /metrics exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.support.promtool import check_rules

CONTRIB = Path(__file__).parents[1] / "contrib"
RULES = CONTRIB / "prometheus" / "firebell-rules.yml"
DASHBOARD = CONTRIB / "grafana" / "firebell.json"
PROMETHEUS_OWN = {"up"}  # the series Prometheus writes for every target it scrapes
KEYWORDS = {"and", "or", "unless", "bool", "offset", "group_left", "group_right", "inf", "nan"}
# Grafana's variables, as a panel's query is sent: intervals, and the job and team chosen
GRAFANA = [(re.compile(r"\$__(rate_)?interval|\$__range"), "5m"), (re.compile(r"\$\w+"), ".*")]


def rules() -> list[dict]:
    return [
        rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]
    ]


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def panels(board: dict) -> list[dict]:
    """Every panel that queries, rows' own panels included."""
    found = []
    for panel in board["panels"]:
        found += panel.get("panels", [])
        if panel["type"] != "row":
            found.append(panel)
    return found


def queries(board: dict) -> list[tuple[str, str]]:
    """(where, PromQL) of every panel's target, Grafana's variables filled in."""
    found = []
    for panel in panels(board):
        for target in panel["targets"]:
            expr = target["expr"]
            for pattern, value in GRAFANA:
                expr = pattern.sub(value, expr)
            found.append((f"panel {panel['id']} ({panel['title']}) {target['refId']}", expr))
    return found


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects: identifiers left once strings, label
    matchers, ranges and grouping clauses are taken out, less functions and keywords."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set()
    for match in re.finditer(r"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
        called = expr[match.end() :].lstrip().startswith("(")
        if not called and match.group().lower() not in KEYWORDS:
            names.add(match.group())
    return names


def test_the_metric_names_are_read_as_prometheus_reads_them():
    expr = (
        'histogram_quantile(0.9, sum by (le, severity) (increase(a_bucket{team=~"x|y"}[1d])))'
        " / on (severity) group_left sum without (job) (rate(b_total[5m])) > 0 and c unless d"
    )
    assert metric_names(expr) == {"a_bucket", "b_total", "c", "d"}


def test_the_alerting_rules_pass_promtool_and_say_what_to_do():
    checked = check_rules(RULES)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    found = rules()
    assert f"SUCCESS: {len(found)} rules found" in checked.stdout
    names = [rule["alert"] for rule in found]
    assert len(set(names)) == len(names) >= 8
    for rule in found:
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]


def test_the_dashboard_parses_and_its_queries_pass_promtool(tmp_path):
    board = dashboard()
    assert isinstance(board["schemaVersion"], int) and board["uid"] == "firebell"
    ids = [panel["id"] for panel in board["panels"]]
    assert len(set(ids)) == len(ids)
    assert all(panel["datasource"]["uid"] == "${datasource}" for panel in panels(board))
    found = queries(board)
    assert len(found) >= 15
    # promtool parses PromQL when it checks rules: each query as a recording rule
    recorded = [
        {"record": f"firebell:dashboard:q{n}", "expr": expr} for n, (_, expr) in enumerate(found)
    ]
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": recorded}]}))
    checked = check_rules(path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


async def test_every_query_names_only_metrics_firebell_exports(bot):
    for step in ("declare sev2 Checkout slow", "ack INC-1", "resolve INC-1"):
        await bot.command(step)
    await bot.deliver()
    async with bot.http.get(f"{bot.base}/metrics") as response:
        scraped = await response.text()
    exported = set(PROMETHEUS_OWN)
    suffixes = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum")}
    for family in text_string_to_metric_families(scraped):
        exported |= {sample.name for sample in family.samples}  # those present now
        exported |= {family.name + s for s in suffixes.get(family.type, ("",))}  # and any later
    used = {where: metric_names(expr) for where, expr in queries(dashboard())}
    used |= {rule["alert"]: metric_names(rule["expr"]) for rule in rules()}
    unknown = {where: names - exported for where, names in used.items() if names - exported}
    assert unknown == {}
    assert set().union(*used.values()) >= {
        "firebell_open_incidents",
        "firebell_acknowledge_seconds_bucket",
        "firebell_resolve_seconds_bucket",
        "firebell_outbox_backlog",
        "firebell_outbox_delivery_errors_total",
        "firebell_timer_lateness_seconds_bucket",
        "up",
    }
