"""The pool's reconnect delay: psycopg_pool's own doubles without a cap (after a 45 s outage
the next attempt could be 32 s away); ours keeps doubling from ~1 s but never waits longer
than ``RECONNECT_MAX_S`` between two attempts, and still gives up at the pool's timeout."""

from __future__ import annotations

import time

from psycopg_pool.base import AttemptWithBackoff

from geo.db.pool import RECONNECT_MAX_S, CappedBackoff, _Pool


def _delays(attempt: AttemptWithBackoff, outage_s: float) -> list[float]:
    """The waits between attempts over an outage of ``outage_s`` seconds."""
    now, out = 0.0, []
    while now < outage_s and not attempt.time_to_give_up(now):
        attempt.update_delay(now)
        out.append(attempt.delay)
        now += attempt.delay
    return out


def test_the_reconnect_delay_is_capped() -> None:
    theirs = _delays(AttemptWithBackoff(timeout=3600), 45)
    ours = _delays(CappedBackoff(timeout=3600), 45)
    assert max(theirs) >= 16  # the defect as seen: one wait of 16 s or more in 45 s
    assert 0.8 <= ours[0] <= 1.2 and max(ours) == RECONNECT_MAX_S <= 2
    assert len(ours) >= 45 / RECONNECT_MAX_S - 1  # it keeps trying all through


def test_the_capped_delay_still_gives_up_at_the_timeout() -> None:
    attempt = CappedBackoff(timeout=10)
    waited = sum(_delays(attempt, 1e9))
    assert 9.5 <= waited <= 10.5 and attempt.time_to_give_up(waited)


def test_the_pool_reconnects_with_the_capped_delay() -> None:
    """``open_pool``'s pool, failing for real to reach a server that is not there, schedules
    its next try with :class:`CappedBackoff` (the attempt psycopg_pool passes on from one try
    to the next); the schedule is only watched, not changed."""
    seen: list[tuple[AttemptWithBackoff | None, float]] = []

    class Watch(_Pool):
        def schedule_task(self, task, delay):  # type: ignore[no-untyped-def]
            seen.append((getattr(task, "attempt", None), delay))

    pool = Watch("host=/nonexistent-griddispatch port=1 connect_timeout=1", min_size=1,
                 open=False)  # fmt: skip
    def tries() -> list[tuple[AttemptWithBackoff | None, float]]:
        return [s for s in seen if s[0] is not None]

    pool.open(wait=False)  # its worker tries to connect, fails, and schedules the next try
    try:
        deadline = time.monotonic() + 30
        while not tries() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        pool.close()
    # the pool schedules its own upkeep too (a task with no attempt, every 600 s), in an
    # order of its own: only the reconnect tries count here
    got = tries()
    assert got and isinstance(got[0][0], CappedBackoff) and got[0][1] <= 1.2
