"""The activity form's friendly repeat choices and the words shown for a rule."""

import pytest
from dateutil.rrule import rrulestr
from tongxin.web.service import build_rrule, rrule_text


@pytest.mark.parametrize(("choice", "nth", "weekday", "rule", "zh", "en"), [
    ("monthly", "3", "SA", "FREQ=MONTHLY;BYDAY=+3SA", "每月第三个周六", "monthly on the third Saturday"),
    ("weekly", "3", "WE", "FREQ=WEEKLY;BYDAY=WE", "每周三", "weekly on Wednesday"),
    ("quarterly", "2", "SU", "FREQ=MONTHLY;INTERVAL=3;BYDAY=+2SU", "每季度第二个周日",
     "every three months on the second Sunday"),
    ("monthly", "-1", "FR", "FREQ=MONTHLY;BYDAY=-1FR", "每月最后一个周五", "monthly on the last Friday"),
])
def test_friendly_choices_become_rules_that_read_back_in_words(choice, nth, weekday, rule, zh, en):
    assert build_rrule(choice, nth=nth, weekday=weekday) == rule
    assert rrule_text(rule, "zh-CN") == zh and rrule_text(rule, "en") == en


def test_monthly_third_saturday_falls_on_third_saturdays():
    from datetime import datetime

    dates = list(rrulestr(build_rrule("monthly", nth="3", weekday="SA"), dtstart=datetime(2027, 1, 1, 9)))[:3]
    assert [d.date().isoformat() for d in dates] == ["2027-01-16", "2027-02-20", "2027-03-20"]


def test_one_off_has_no_rule_and_unknown_choices_are_refused():
    assert build_rrule("once", nth="", weekday="") == ""
    for bad in (("daily", "1", "MO"), ("monthly", "9", "SA"), ("weekly", "1", "XX")):
        with pytest.raises(ValueError):
            build_rrule(bad[0], nth=bad[1], weekday=bad[2])
    # a rule the form cannot build is named as such, never shown as RFC 5545 text (issue 10)
    assert rrule_text("FREQ=DAILY", "zh-CN") == "自定义重复规则"
    assert rrule_text("FREQ=DAILY", "en") == "a custom repeat rule"
