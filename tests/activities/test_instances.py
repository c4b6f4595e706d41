"""The concurrency proof of `bench/concurrency.py`, scaled down so that every `make test` runs it:
two web instances on one PostgreSQL database, driven over HTTP."""

import pytest

from tests.conftest import PG_ADMIN_URL

pytestmark = pytest.mark.instances


def test_two_instances_never_overbook_and_promote_the_waitlist_in_order(postgres_template):
    """40 sign-ups at once for 5 places, 5 confirmed and 5 waitlisted cancel at once and sign up again, 5
    confirmed cancel while 10 newcomers sign up; the same sign-up and cancel 10 times at once; overlapping
    sign-ups at once. Every check of the bench holds."""
    from bench import concurrency

    code = concurrency.main(["--postgres", PG_ADMIN_URL, "--instances", "2", "--people", "40", "--capacity", "5",
                             "--cancels", "5", "--newcomers", "10", "--rounds", "1", "--duplicates", "10",
                             "--overlaps", "1"])
    assert code == 0, "failed checks: " + "; ".join(concurrency.FAILURES)
