"""The write paths stay cheap: a sign-up and a cancel send a fixed, small number of SQL statements on
each engine, whatever the occurrence's crowd, and still do everything a user notices (the place taken
and given back, the queue position, the promotion and its message, the audit entry)."""

import pytest

from tests.statements import statements_sent
from tests.volunteers.factories import make_occurrence, years_ago

pytestmark = pytest.mark.anyio

# Statements each path may send (BEGIN and COMMIT not counted), as measured on PostgreSQL when written
# (SQLite sends one fewer per person locked): before, a sign-up sent 16, a cancel 11 (and its audit 1).
SIGN_UP = 6
WAITLISTED = 7
CANCEL = 6  # with its audit entry
CANCEL_AND_PROMOTE = 13  # the promoted person locked, their rules re-checked, told


async def volunteers(count: int, *, with_accounts: bool = False) -> list[dict]:
    """Adults who may serve anywhere: {"volunteer": id, "actor": Actor}."""
    from tongxin.accounts.service import load_actor
    from tongxin.volunteers.tables import Volunteer
    from tests.factories import make_user

    people = []
    for n in range(count):
        user = await make_user("volunteer")
        rows = await Volunteer.insert(Volunteer(user=user["id"], real_name=f"志愿者{n}", birth_date=years_ago(30))
                                      ).returning(Volunteer.id)
        people.append({"volunteer": rows[0]["id"], "user": user["id"], "actor": await load_actor(user_id=user["id"])})
    return people


async def crowd(occurrence: int, count: int) -> None:
    """`count` other people signed up already (the statements must not grow with them)."""
    from tongxin.activities import signups

    for person in await volunteers(count):
        await signups.apply(volunteer_id=person["volunteer"], occurrence_id=occurrence)


async def taken(occurrence: int) -> int:
    from tongxin.activities.tables import Occurrence

    return (await Occurrence.select(Occurrence.taken).where(Occurrence.id == occurrence).first())["taken"]


async def test_a_sign_up_and_its_cancel_send_a_few_statements_however_many_signed_up_before(app):
    from tongxin.accounts.tables import AuditEntry
    from tongxin.activities import signups

    occurrence = await make_occurrence(capacity=50)
    await crowd(occurrence, 12)
    me = (await volunteers(1))[0]
    with statements_sent() as sent:
        mine = await signups.sign_up_for(actor=me["actor"], occurrence_id=occurrence)
    assert mine["status"] == "confirmed" and await taken(occurrence) == 13
    assert len(sent) <= SIGN_UP, "\n".join(sent)
    with statements_sent() as sent:
        gone = await signups.cancel_for(actor=me["actor"], sign_up_id=mine["id"])
    assert gone == {"id": mine["id"], "status": "cancelled", "promoted": []} and await taken(occurrence) == 12
    assert await AuditEntry.count().where((AuditEntry.action == "cancel_sign_up")
                                          & (AuditEntry.target_id == mine["id"])) == 1
    assert len(sent) <= CANCEL, "\n".join(sent)
    # Signing up again uses the cancelled row: as cheap, and confirmed again.
    with statements_sent() as sent:
        again = await signups.sign_up_for(actor=me["actor"], occurrence_id=occurrence)
    assert again["id"] == mine["id"] and again["status"] == "confirmed" and await taken(occurrence) == 13
    assert len(sent) <= SIGN_UP, "\n".join(sent)


async def test_joining_a_full_occurrences_waitlist_and_a_cancel_promoting_from_it_stay_cheap(app):
    from tongxin.activities import signups
    from tongxin.activities.tables import SignUp
    from tongxin.notifications.tables import Notification

    occurrence = await make_occurrence(capacity=3)
    await crowd(occurrence, 6)  # three confirmed, three waiting
    me, second = await volunteers(2)
    with statements_sent() as sent:
        mine = await signups.sign_up_for(actor=me["actor"], occurrence_id=occurrence)
    assert mine["status"] == "waitlisted" and mine["waitlist_position"] == 4
    assert len(sent) <= WAITLISTED, "\n".join(sent)
    behind = await signups.sign_up_for(actor=second["actor"], occurrence_id=occurrence)
    assert behind["waitlist_position"] == 5
    # A confirmed person cancels: the first waiting takes the place and is told; the queue moves up.
    holder = await SignUp.select(SignUp.id, SignUp.volunteer).where(
        (SignUp.occurrence == occurrence) & (SignUp.status == "confirmed")).first()
    with statements_sent() as sent:
        gone = await signups.cancel(sign_up_id=holder["id"])
    assert len(gone["promoted"]) == 1 and await taken(occurrence) == 3
    assert len(sent) <= CANCEL_AND_PROMOTE, "\n".join(sent)
    assert await Notification.count().where(Notification.kind == "waitlist_promoted") == 1
    assert await signups.waitlist_position(sign_up_id=mine["id"]) == 3
