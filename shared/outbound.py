"""Calls to the third parties every dossier meets (the SMS gateway, the national
portal, the postal carrier) through urllib3's connection pool.

In the lifecycle benchmark's profiles (docs/PERFORMANCE.md), requests spent more
CPU around each call (preparing it, reading the proxy settings from the environment
again, hooks, cookies) than urllib3 spent on the call itself. The proxy the environment names (HTTPS_PROXY, HTTP_PROXY,
NO_PROXY) is decided once. No call is retried or redirected here: the caller's own
retries decide (each third party drops a resend by its idempotency key), and a
redirect means the configured URL is wrong, which is said, not followed. Calls off
the hot paths (payments' gateway, portal's calls to intake) keep requests.
"""

from __future__ import annotations

import json as jsonlib
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import urllib3


class OutboundError(Exception):
    """No HTTP answer: nothing listens, the connection broke, or it timed out."""

    def __init__(self, reason: str, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.timed_out = timed_out


@dataclass(frozen=True)
class Answer:
    status: int
    content: bytes
    headers: Mapping[str, str]

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not."""
        return jsonlib.loads(self.content)

    @property
    def redirect(self) -> str | None:
        """Where a redirect points: the configured URL is not the service's."""
        return self.headers.get("Location", "") if 300 <= self.status < 400 else None


# connections kept to one host: a batch's messages are sent side by side (up to
# shared.messaging.AFTER_COMMIT_CONCURRENCY), and urllib3 keeps one by default,
# closing every other after its call
CONNECTIONS_PER_HOST = 10


def pool_for(url: str) -> urllib3.PoolManager:
    """Connections to `url`'s host, through the proxy the environment names for it."""
    parts = urllib.parse.urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and not urllib.request.proxy_bypass(parts.hostname or ""):
        return urllib3.ProxyManager(proxy, maxsize=CONNECTIONS_PER_HOST)
    return urllib3.PoolManager(maxsize=CONNECTIONS_PER_HOST)


class Client:
    """One third party's base URL, its connections and timeouts."""

    def __init__(self, base_url: str, timeout: float, connect_timeout: float | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.pool = pool_for(self.base_url)
        self.timeout = urllib3.Timeout(
            connect=connect_timeout if connect_timeout is not None else timeout, read=timeout
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        body: bytes | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """The answer, whatever its status; OutboundError when none came."""
        sent = dict(headers or {})
        if json is not None:
            body = jsonlib.dumps(json, ensure_ascii=False).encode()
            sent.setdefault("Content-Type", "application/json")
        url = self.base_url + path + (f"?{urllib.parse.urlencode(params)}" if params else "")
        try:
            answer = self.pool.request(
                method, url, body=body, headers=sent, timeout=self.timeout, retries=False, preload_content=True
            )
        except urllib3.exceptions.NewConnectionError as exc:  # before TimeoutError: urllib3 files it under both
            raise OutboundError(f"unreachable: {exc.__class__.__name__}") from exc
        except urllib3.exceptions.TimeoutError as exc:
            raise OutboundError(f"timed out: {exc.__class__.__name__}", timed_out=True) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise OutboundError(f"unreachable: {exc.__class__.__name__}") from exc
        return Answer(answer.status, answer.data, answer.headers)
