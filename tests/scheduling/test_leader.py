"""The optional leader lock: one scheduler ticks, a standby takes over when the leader goes."""

import pytest

pytestmark = pytest.mark.anyio


async def test_one_leader_at_a_time_and_a_standby_takes_over(settings):
    if settings.is_sqlite:
        pytest.skip("the advisory lock is PostgreSQL's")
    from tongxin.scheduling.runner import AdvisoryLeader

    first, second = AdvisoryLeader(settings.database_url), AdvisoryLeader(settings.database_url)
    try:
        assert await first.check() is True
        assert await second.check() is False, "the lock is taken"
        assert await first.check() is True, "the leader stays leader"
        await first.close()  # the leader's process (and connection) is gone
        assert await second.check() is True
        assert await first.check() is False
    finally:
        await first.close()
        await second.close()


async def test_a_standby_scheduler_runs_no_jobs(app, settings):
    if settings.is_sqlite:
        pytest.skip("the advisory lock is PostgreSQL's")
    from tongxin.scheduling.runner import AdvisoryLeader, SchedulerRunner
    from tongxin.scheduling.tables import JobRun

    holder = AdvisoryLeader(settings.database_url)
    assert await holder.check()
    standby = SchedulerRunner(settings=settings, leader=AdvisoryLeader(settings.database_url))
    try:
        await standby.tick()
        assert await JobRun.count() == 0
        await holder.close()
        await standby.tick()
        assert await JobRun.count() > 0
    finally:
        await standby.leader.close()
