"""Shared by the socket workloads (2, 3, 4, 7): load specs and how figures are read."""

from __future__ import annotations

from typing import Any

from .harness import Config, Server, community, med
from .stats import fmt, ms

GATEWAY = "/api/v1/gateway"


def sizes(cfg: Config) -> tuple[int, int]:
    """(sockets, users): many sessions per user keep setup cheap and presence quiet."""
    sockets = cfg.size(1000, 50)
    return sockets, min(sockets, cfg.size(50, 10))


def app_spec(cfg: Config, app: Server, users: int, sockets: int, **extra: Any) -> dict[str, Any]:
    """Sockets identified on our app, a sender POSTing to the community's channel."""
    com = community(app, users)
    return {
        "scenario": "fanout",
        "host": "127.0.0.1",
        "port": app.port,
        "ws_path": GATEWAY,
        "tokens": com.tokens,
        "sockets": sockets,
        "post_path": f"/api/v1/channels/{com.channel_id}/messages",
        "headers": {"Authorization": f"Bearer {com.owner_token}"},
        "warmup_s": cfg.warmup_s,
        "window_s": cfg.window_s,
        "windows": cfg.windows,
        **extra,
    }


def raw_spec(
    cfg: Config, raw: Server, sockets: int, post_path: str, **extra: Any
) -> dict[str, Any]:
    return {
        "scenario": "fanout",
        "host": "127.0.0.1",
        "port": raw.port,
        "ws_path": "/ws",
        "tokens": None,
        "sockets": sockets,
        "post_path": post_path,
        "headers": {},
        "warmup_s": cfg.warmup_s,
        "window_s": cfg.window_s,
        "windows": cfg.windows,
        **extra,
    }


def max_mode(cfg: Config) -> dict[str, Any]:
    return {"mode": "max", "inflight": 8}


def rate_mode(cfg: Config, deliveries_per_s: float, sockets: int) -> dict[str, Any]:
    return {"mode": "rate", "rate": deliveries_per_s / sockets}


def steady(result: dict[str, Any], phase: str = "steady") -> list[dict[str, Any]]:
    return [w for w in result["windows"] if w["phase"] == phase]


def throughput(result: dict[str, Any], phase: str = "steady") -> tuple[float, str]:
    rate = med(steady(result, phase), "deliveries_per_s")
    return rate, f"{fmt(rate)} deliveries/s"


def latency(
    result: dict[str, Any], key: str = "latency", phase: str = "steady"
) -> tuple[float, float, float]:
    """(achieved deliveries/s, p50 s, p99 s), medians over the windows."""
    windows = steady(result, phase)
    return (
        med(windows, "deliveries_per_s"),
        med(windows, key, "p50"),
        med(windows, key, "p99"),
    )


def latency_text(rate: float, p50: float, p99: float) -> str:
    return f"p50 {ms(p50)}, p99 {ms(p99)} at {fmt(rate)}/s"
