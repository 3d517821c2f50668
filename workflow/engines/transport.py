"""JSON over HTTP for the server engines (libretranslate, llm): one request, and retries.

Standard library only (urllib). `request_json` sends one request and reads a JSON
answer; an answer that is not 2xx raises `HTTPProblem` with the server's error text
and its `Retry-After`. `with_retries` repeats a request on connection errors,
timeouts, 429 and 5xx: after `Retry-After` seconds when a 429 or 503 names them,
else after an exponential backoff; it raises `Exhausted` when the tries run out and
`HTTPProblem` at once for any other 4xx (no retry mends a bad key or a bad request).

Headers (which hold API keys) never appear in an exception or a message.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

T = TypeVar("T")
MAX_RETRY_AFTER = 120.0  # seconds: a server asking for longer is treated as down


class HTTPProblem(Exception):
    """An HTTP answer that is not 2xx: status, the server's error text, its Retry-After (seconds)."""

    def __init__(self, status: int, detail: str, retry_after: float | None = None) -> None:
        super().__init__(f"HTTP {status}: {detail}" if detail else f"HTTP {status}")
        self.status = status
        self.detail = detail
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.status == 429 or self.status >= 500


class NotJSON(Exception):
    """A 2xx answer whose body is not JSON."""


@dataclass
class Exhausted(Exception):
    """Every try failed: the last problem (an HTTPProblem or the connection error) and the tries made."""

    problem: BaseException
    tries: int

    def __str__(self) -> str:
        return f"{reason(self.problem)}; {self.tries} tries"


@dataclass
class Backoff:
    """Seconds before retry n (0-based): `first` doubled each time, at most `most`."""

    first: float = 0.5
    most: float = 8.0

    def delay(self, attempt: int, problem: BaseException) -> float:
        if isinstance(problem, HTTPProblem) and problem.status in (429, 503) and problem.retry_after is not None:
            return float(problem.retry_after)
        return min(self.first * 2.0 ** attempt, self.most)


def request_json(url: str, method: str, payload: Any, headers: dict[str, str], timeout: float) -> Any:
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8") if payload is not None else None
    headers = {"Accept": "application/json", **headers}
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        raise HTTPProblem(exc.code, _error_text(exc), _retry_after(exc.headers.get("Retry-After"))) from None
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise NotJSON(url) from None


def with_retries(call: Callable[[], T], retries: int, backoff: Backoff,
                 sleep: Callable[[float], None] = time.sleep) -> T:
    attempt = 0
    while True:
        try:
            return call()
        except HTTPProblem as problem:
            if not problem.retryable:
                raise
            last: BaseException = problem
        except (OSError, http.client.HTTPException) as exc:
            last = exc
        if attempt >= retries:
            raise Exhausted(last, attempt + 1)
        delay = backoff.delay(attempt, last)
        if delay > MAX_RETRY_AFTER:
            raise Exhausted(last, attempt + 1)
        sleep(delay)
        attempt += 1


def reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _error_text(exc: urllib.error.HTTPError) -> str:
    try:
        body = exc.read().decode("utf-8", "replace")
    except OSError:
        return str(exc.reason)
    try:
        data = json.loads(body)
    except ValueError:
        return body.strip()[:200] or str(exc.reason)
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, str):
            return error
        if isinstance(error, dict) and isinstance(error.get("message"), str):  # OpenAI's {"error": {"message"}}
            return str(error["message"])[:200]
    return body.strip()[:200]
