"""The scheduled jobs page reads in Chinese: what each job does, when it runs and what it did, in words."""

from datetime import datetime, timedelta, timezone

import pytest

from tests.factories import login, make_user
from tests.web.test_occurrence_pages import assert_reads_as_chinese

pytestmark = pytest.mark.anyio
HTML = {"accept": "text/html"}


async def test_jobs_say_what_they_do_when_and_what_they_did_in_chinese(client):
    from tongxin.scheduling.tables import JobRun

    now = datetime.now(timezone.utc)
    await JobRun.insert(
        JobRun(job="matching", scheduled_for=now - timedelta(hours=1), status="ok",
               outcome="run_matching_batch: targets 3, proposals 5, utility 89.43426012772164"),
        JobRun(job="close_sign_ups", scheduled_for=now - timedelta(minutes=5), status="ok",
               outcome="2 occurrence(s) closed"),
        JobRun(job="send_outbox", scheduled_for=now - timedelta(minutes=1), status="ok", outcome="something new"))
    await login(client, (await make_user("staff"))["username"])
    page = (await client.get("/staff/jobs", headers=HTML)).text
    for words in ("生成活动场次", "每 1 小时", "每天 03:00", "每周一 09:00", "对象 3，建议 5，总匹配度 89.43",
                  "2 个场次截止报名"):
        assert words in page, words
    assert "utility" not in page and "something new" not in page and "occurrence(s)" not in page
    assert_reads_as_chinese(page)
    client.cookies.set("tx_lang", "en")
    english = (await client.get("/staff/jobs", headers=HTML)).text
    assert "Expand occurrences" in english and "2 occurrences closed to sign-ups" in english
