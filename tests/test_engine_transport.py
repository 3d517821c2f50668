"""engines.transport: Retry-After in both its forms, and which answers are retried."""

from __future__ import annotations

import email.utils
import time

import pytest

from workflow.engines.transport import Backoff, Exhausted, HTTPProblem, _retry_after, with_retries


def test_retry_after_seconds_and_http_dates() -> None:
    assert _retry_after("3") == 3.0 and _retry_after(" 0.5 ") == 0.5
    assert _retry_after(None) is None and _retry_after("soon") is None
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= (_retry_after(later) or 0) <= 31
    assert _retry_after(email.utils.formatdate(time.time() - 30, usegmt=True)) == 0.0


def test_only_429_and_503_follow_retry_after_and_other_4xx_are_not_retried() -> None:
    backoff = Backoff(first=1.0, most=4.0)
    assert backoff.delay(0, HTTPProblem(429, "", retry_after=7)) == 7
    assert backoff.delay(0, HTTPProblem(503, "", retry_after=7)) == 7
    assert backoff.delay(2, HTTPProblem(500, "", retry_after=7)) == 4.0  # doubled, capped
    slept: list[float] = []
    answers = [HTTPProblem(429, "slow down", retry_after=2), HTTPProblem(502, ""), "ok"]

    def call() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert with_retries(call, 2, backoff, slept.append) == "ok" and slept == [2, 2.0]

    def refused() -> str:
        raise HTTPProblem(401, "bad key")

    with pytest.raises(HTTPProblem):
        with_retries(refused, 5, backoff, slept.append)

    def down() -> str:
        raise ConnectionRefusedError("refused")

    with pytest.raises(Exhausted) as info:
        with_retries(down, 1, Backoff(0, 0), slept.append)
    assert info.value.tries == 2 and "refused; 2 tries" in str(info.value)
