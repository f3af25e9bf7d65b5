"""The retry decision, as a pure function of the policy, the exception and the attempt.

Exponential backoff from ``backoff`` seconds, doubled per attempt, capped at
``cap``, spread by +/- ``jitter`` so that jobs failing together don't retry
together. ``RetryLater`` and ``PermanentFailure`` are just two more inputs.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass

from django_jobs.exceptions import PermanentFailure, RetryLater


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int
    backoff: float
    cap: float
    jitter: float
    retry_on: tuple[type[BaseException], ...] | None = None

    def delay_for(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        # 2**62 times any backoff passes every cap; a larger power overflows a float.
        base = min(self.cap, self.backoff * 2 ** min(max(0, attempt - 1), 62))
        spread = base * self.jitter * (2 * rand() - 1)
        return max(0.0, base + spread)


@dataclass(frozen=True, slots=True)
class RetryDecision:
    delay: float


def decide(
    policy: RetryPolicy,
    exc: BaseException,
    attempt: int,
    rand: Callable[[], float] = random.random,
) -> RetryDecision | None:
    """Return when to try again after ``exc`` ended attempt ``attempt``, or None to fail."""
    if isinstance(exc, PermanentFailure) or attempt >= policy.max_attempts:
        return None
    if isinstance(exc, RetryLater):
        if exc.delay is not None:
            return RetryDecision(float(exc.delay))
        return RetryDecision(policy.delay_for(attempt, rand))
    if policy.retry_on is not None and not isinstance(exc, policy.retry_on):
        return None
    return RetryDecision(policy.delay_for(attempt, rand))
