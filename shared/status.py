"""`motcua status`: one screen about the running system, read from each service's
GET /health and GET /metrics (ports from MOTCUA_<SERVICE>_PORT)."""

import os
from collections.abc import Iterator
from typing import Any

import requests
from prometheus_client.parser import text_string_to_metric_families

from shared import config


def _samples(text: str) -> Iterator[Any]:
    for family in text_string_to_metric_families(text):
        yield from family.samples


def summarise(metrics_text: str) -> dict[str, Any]:
    """The figures an operator looks at first, from one service's /metrics."""
    summary: dict[str, Any] = {
        "queued": 0,
        "retrying": 0,
        "dead_letters": 0,
        "consumers_missing": 0,
        "outbox_pending": 0,
        "outbox_oldest_seconds": 0.0,
    }
    for sample in _samples(metrics_text):
        name, labels, value = sample.name, sample.labels, sample.value
        if name == "motcua_queue_messages":
            key = {"handler": "queued", "department": "queued", "retry": "retrying", "dead_letter": "dead_letters"}.get(
                labels.get("kind")
            )
            if key:
                summary[key] += int(value)
        elif name == "motcua_queue_consumers" and labels.get("kind") == "handler" and value == 0:
            summary["consumers_missing"] += 1
        elif name == "motcua_outbox_pending_events":
            summary["outbox_pending"] = int(value)
        elif name == "motcua_outbox_oldest_pending_seconds":
            summary["outbox_oldest_seconds"] = round(value, 1)
        elif name == "motcua_dossiers_overdue":
            summary["overdue_dossiers"] = int(value)
        elif name == "motcua_tasks_overdue":
            summary["overdue_tasks"] = summary.get("overdue_tasks", 0) + int(value)
    return summary


def probe(service: str, host: str = "127.0.0.1", timeout: float = 3.0) -> dict[str, Any]:
    """{service, url, up, health, ...summary} of one service; up is False when it
    does not answer or its health check fails."""
    base = f"http://{host}:{config.port(service)}"
    state: dict[str, Any] = {"service": service, "url": base, "up": False}
    try:
        health = requests.get(base + "/health", timeout=timeout)
        state["health"] = health.json()
        state["up"] = health.status_code == 200
        state.update(summarise(requests.get(base + "/metrics", timeout=timeout).text))
    except ValueError as exc:  # answered, but not like a Một Cửa service (bad JSON or metrics)
        state["error"] = f"unexpected answer ({exc.__class__.__name__})"
    except requests.RequestException as exc:
        state["error"] = f"no answer ({exc.__class__.__name__})"
    return state


def system_status(host: str | None = None) -> list[dict[str, Any]]:
    host = host or os.environ.get("MOTCUA_STATUS_HOST", "127.0.0.1")
    return [probe(service, host) for service in config.SERVED]


def render(states: list[dict[str, Any]]) -> str:
    lines = [f"{'service':<11} {'state':<5} {'queued':>6} {'retry':>5} {'dead':>5} {'outbox':>6} {'oldest':>7}  notes"]
    for s in states:
        if "error" in s:
            lines.append(f"{s['service']:<11} DOWN  {s['url']}: {s['error']}")
            continue
        notes = []
        if not s["up"]:
            failing = [k for k, v in s.get("health", {}).items() if k != "status" and v != "ok"]
            notes.append("unhealthy: " + ", ".join(f"{k} {s['health'][k]}" for k in failing))
        if "overdue_dossiers" in s:
            notes.append(f"{s['overdue_dossiers']} overdue dossier(s)")
        if "overdue_tasks" in s:
            notes.append(f"{s['overdue_tasks']} overdue task(s)")
        if s.get("consumers_missing"):
            notes.append(f"{s['consumers_missing']} handler queue(s) without a consumer")
        lines.append(
            f"{s['service']:<11} {'up' if s['up'] else 'DOWN':<5} {s['queued']:>6} {s['retrying']:>5} "
            f"{s['dead_letters']:>5} {s['outbox_pending']:>6} {s['outbox_oldest_seconds']:>6.1f}s  " + "; ".join(notes)
        )
    down = [s["service"] for s in states if not s["up"]]
    lines.append(
        f"{len(states) - len(down)} of {len(states)} services up" + (f"; down: {', '.join(down)}" if down else "")
    )
    return "\n".join(line.rstrip() for line in lines)
