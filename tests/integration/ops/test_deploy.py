"""deploy/: the files parse, and the Grafana dashboard asks only for metrics the service
exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import yaml

from ..api.harness import GatewayClient, live_server, make_settings

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"


def test_compose_and_prometheus_parse() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert {"postgres", "redis", "concord-1", "concord-2", "nginx"} <= set(compose["services"])
    prometheus = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    targets = prometheus["scrape_configs"][0]["static_configs"][0]["targets"]
    assert targets == ["concord-1:8000", "concord-2:8000"]
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "USER concord" in dockerfile and "HEALTHCHECK" in dockerfile
    unit = (DEPLOY / "concord.service").read_text()
    assert "ExecStart=/opt/concord/bin/concord serve" in unit and "User=concord" in unit


async def test_dashboard_metrics_exist(tmp_path: Path) -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "concord-dashboard.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    wanted = {
        re.sub(r"_(bucket|total|count|sum)$", "", m)
        for e in exprs
        for m in re.findall(r"concord_\w+", e)
    }
    assert len(wanted) >= 8
    with live_server(make_settings(tmp_path)) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            r = await http.post(
                "/api/v1/auth/register",
                json={"username": "metrics", "email": "m@example.com", "password": "Metric-pw-12"},
            )
            gateway = await GatewayClient.identify(server.ws_url, r.json()["token"])
            text = (await http.get("/metrics")).text
            await gateway.ws.close()
    exported = {
        re.sub(r"_(total|created)$", "", m)
        for m in re.findall(r"^# TYPE (concord_\w+)", text, flags=re.M)
    }
    assert not wanted - exported, sorted(wanted - exported)
