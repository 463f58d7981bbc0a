"""Sending a request the way a careful client does: within limits, retried when safe."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from ledgerbridge.connectors.http.limiter import RateLimiter
from ledgerbridge.domain.errors import AuthError, DailyLimitError, RateLimitedError, RetriableError
from ledgerbridge.observability import metrics

_SAFE = {"GET", "HEAD", "OPTIONS"}


class ApiClient:
    """One connection's HTTP client.

    Retries 429 (honouring Retry-After: the request was not processed), and 5xx, timeouts and
    dropped connections for reads and for writes marked ``retry_writes`` (they carry an
    idempotency key). A write without one is never retried blindly: the error goes up and the
    connector looks the record up before it tries again.
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        system: str,
        limiter: RateLimiter,
        max_attempts: int = 6,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        retry_after_cap: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.http = http
        self.system = system
        self.limiter = limiter
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.retry_after_cap = retry_after_cap
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.attempts = 0
        self.retries = 0

    def _backoff(self, attempt: int) -> float:
        # Full jitter: a burst of clients spreads out instead of retrying in lockstep.
        return float(self.rng.uniform(0, min(self.backoff_cap, self.backoff_base * 2**attempt)))

    def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        retry_writes: bool = False,
    ) -> httpx.Response:
        safe = method.upper() in _SAFE or retry_writes
        last: str = ""
        for attempt in range(self.max_attempts):
            self.limiter.acquire()
            self.attempts += 1
            sent = time.monotonic()
            try:
                response = self.http.request(
                    method, url, params=params, json=json, content=content, headers=headers
                )
            except DailyLimitError:
                # A spent budget (seen by a connector's answer hook) is no blip to retry.
                metrics.api_limited(self.system, "day")
                raise
            except RateLimitedError:
                metrics.api_limited(self.system, "minute")
                raise
            except RetriableError as exc:
                # Raised by the auth flow before anything was sent (the token endpoint was
                # briefly unavailable), so even a write may be tried again.
                last = str(exc)
                self.retries += 1
                self.sleep(self._backoff(attempt))
                continue
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                metrics.api_call(self.system, "transport", time.monotonic() - sent)
                last = f"{exc.__class__.__name__} on {method} {url}"
                if not safe:
                    raise RetriableError(
                        f"{self.system}: {last}; the write may or may not have been applied"
                    ) from exc
                self.retries += 1
                self.sleep(self._backoff(attempt))
                continue
            finally:
                self.limiter.release()
            self.limiter.observe(response.headers)
            status = response.status_code
            metrics.api_call(self.system, status, time.monotonic() - sent)
            if status == 429:
                problem = response.headers.get("x-rate-limit-problem", "").lower()
                metrics.api_limited(self.system, "day" if problem == "day" else "minute")
                if problem == "day":
                    self.limiter.day_spent()
                    raise DailyLimitError(
                        f"{self.system}: the daily API limit is reached",
                        reset_at=self.limiter.next_reset(),
                    )
                wait = _retry_after(response) or self._backoff(attempt)
                last = f"429 on {method} {url}"
                if wait > self.retry_after_cap:
                    raise RateLimitedError(f"{self.system}: rate limited for {wait:.0f}s", wait)
                self.retries += 1
                self.sleep(wait)
                continue
            if status >= 500:
                last = f"{status} on {method} {url}"
                if not safe:
                    raise RetriableError(
                        f"{self.system}: {last}; the write may or may not have been applied"
                    )
                self.retries += 1
                self.sleep(self._backoff(attempt))
                continue
            if status == 401:
                raise AuthError(
                    f"{self.system} refused our credentials (401 on {method} {url}); "
                    "reconnect the connection"
                )
            return response
        raise RetriableError(f"{self.system}: gave up after {self.max_attempts} attempts ({last})")


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None
