"""The ranking district kept warm: updated in place from the writes' named changes, it must equal a fresh
full read after every kind of write, and a kept ranking must never outlive its reader's own write."""

from datetime import date, timedelta

import numpy as np
import pytest

from tests.factories import make_user
from tests.matches.test_proposals import SATURDAY_9AM, small_district
from tests.statements import statements_sent

pytestmark = pytest.mark.anyio


def person_facts(volunteers, commitments) -> dict:
    """Everything ranking reads about people, in a form two reads can be compared by."""
    import matching

    facts = {name: getattr(volunteers, name) for name in matching.data._per_person_fields(volunteers)}
    ids = volunteers.ids
    facts["commitments"] = sorted(zip(ids[commitments.volunteer].tolist(), commitments.start.tolist(),
                                      commitments.end.tolist(), commitments.target.tolist()))
    log = volunteers.history
    facts["history"] = sorted(zip(ids[log.volunteer].tolist(), log.start.tolist(), log.accepted.tolist(),
                                  log.attended.tolist())) if log is not None else []
    return facts


async def assert_warm_equals_fresh_read(warm) -> None:
    from datetime import datetime, timezone

    from tongxin.matches import district

    await warm.up_to_date(3600)
    _, fresh, commitments = await district.read_district(datetime.now(timezone.utc))
    kept, read = person_facts(warm.volunteers, warm.commitments), person_facts(fresh, commitments)
    assert_same_facts(kept, read)


def assert_same_facts(kept: dict, read: dict) -> None:
    assert kept.keys() == read.keys()
    for name in kept:
        if isinstance(kept[name], np.ndarray):
            assert np.array_equal(kept[name], read[name], equal_nan=kept[name].dtype.kind == "f"), name
        else:
            assert kept[name] == read[name], name


async def assert_cached_bits_follow(warm) -> None:
    from tongxin.matches import district

    # The cached bit sets and spatial index follow the rows changed in place.
    probe = await district.WarmDistrict().up_to_date(3600)
    import matching

    for cached in (warm.volunteers, probe.volunteers):
        matching.rules._volunteer_cache(cached)
    assert np.array_equal(warm.volunteers._cache["rules"]["hours"], probe.volunteers._cache["rules"]["hours"])


def volunteer_actor(user_id: int, volunteer_id: int):
    from tongxin.accounts.service import Actor

    return Actor(id=user_id, username=f"u{user_id}", role="volunteer", volunteer_id=volunteer_id)


async def user_of(volunteer_id: int) -> int:
    from tongxin.volunteers.tables import Volunteer

    return (await Volunteer.select(Volunteer.user).where(Volunteer.id == volunteer_id).first())["user"]


async def test_warm_district_equals_a_fresh_read_after_each_kind_of_write(app):
    import matching
    from tongxin.activities import signups
    from tongxin.matches import district
    from tongxin.memory import data_changed
    from tongxin.volunteers import service as volunteers
    from tongxin.volunteers.tables import CertificateKind, Volunteer

    place = await small_district(volunteers=4, capacity=1)
    occurrence, people = place["occurrence"], place["volunteers"]
    warm = district.warm_district()
    await warm.up_to_date(3600)
    assert len(warm.volunteers) == 4
    matching.rules._volunteer_cache(warm.volunteers)  # bit sets built, as ranking does, before the changes

    first = await signups.apply(volunteer_id=people[0], occurrence_id=occurrence)
    await signups.apply(volunteer_id=people[1], occurrence_id=occurrence)  # waitlisted: one place
    await assert_warm_equals_fresh_read(warm)
    assert warm.commitments.volunteer.size == 1

    await signups.cancel(sign_up_id=first["id"])  # the waitlist moves up: people[1] now holds the time
    await assert_warm_equals_fresh_read(warm)
    assert warm.volunteers.ids[warm.commitments.volunteer].tolist() == [people[1]]

    actor = volunteer_actor(await user_of(people[2]), people[2])
    await volunteers.set_skills(actor=actor, codes=[])
    await volunteers.set_availability(actor=actor, windows=[{"weekday": 0, "start_minute": 60, "end_minute": 120}])
    await CertificateKind.insert(CertificateKind(code="rescue", name_zh="救援证"))
    data_changed("district")  # a new kind of certificate: every person gets a column (read all again)
    await volunteers.add_certificate(actor=actor, kind_code="rescue", number="1", issued_on=date(2025, 1, 1))
    await assert_warm_equals_fresh_read(warm)
    assert not warm.volunteers.skills[warm.position[people[2]]].any()
    await assert_cached_bits_follow(warm)

    # A new volunteer joins (rows renumbered), one leaves the active list.
    user = await make_user("volunteer")
    joined = (await Volunteer.insert(Volunteer(user=user["id"], real_name="新人", birth_date=date(1991, 2, 3),
                                               community=place["community"], lat=33.95, lon=118.31)
                                     ).returning(Volunteer.id))[0]["id"]
    await Volunteer.update({Volunteer.status: "inactive"}).where(Volunteer.id == people[3])
    data_changed(f"volunteer:{joined}", f"volunteer:{people[3]}")
    await assert_warm_equals_fresh_read(warm)
    assert joined in warm.position and people[3] not in warm.position

    await signups.cancel_occurrence(occurrence_id=occurrence, reason="下雨")
    await assert_warm_equals_fresh_read(warm)
    assert warm.commitments.volunteer.size == 0

    # The safety net's full read finds nothing new: kept answers stay (same epoch, nobody stamped).
    epoch, stamped = warm.epoch, warm.person_changed
    await warm.start_full_read()
    assert (warm.epoch, warm.person_changed) == (epoch, stamped)


async def test_a_kept_ranking_is_answered_from_memory_until_a_change_it_depends_on(app):
    from tongxin.activities import signups
    from tongxin.activities.tables import Occurrence
    from tongxin.matches import service
    from tongxin.volunteers import service as volunteers

    place = await small_district(volunteers=4, capacity=3)
    occurrence, people = place["occurrence"], place["volunteers"]
    ask = dict(target_type="occurrence", target_id=occurrence, cache_seconds=3600)
    first = await service.rank_for_target(**ask)
    assert {c["volunteer_id"] for c in first["candidates"]} == set(people)
    with statements_sent() as sent:
        again = await service.rank_for_target(**ask)
    assert again == first and sent == []

    # Staff's own write shows at once: a person without the required skill drops out.
    await volunteers.set_skills(actor=volunteer_actor(await user_of(people[0]), people[0]), codes=[])
    after_skill = await service.rank_for_target(**ask)
    assert people[0] not in {c["volunteer_id"] for c in after_skill["candidates"]}

    # Signing up for another occurrence at the same time makes a person busy then (overlap).
    activity = (await Occurrence.select(Occurrence.activity).where(Occurrence.id == occurrence).first())["activity"]
    other = (await Occurrence.insert(Occurrence(
        activity=activity, starts_at=SATURDAY_9AM + timedelta(hours=1), ends_at=SATURDAY_9AM + timedelta(hours=2),
        signup_deadline=SATURDAY_9AM - timedelta(days=1), capacity=5, taken=0, status="open",
        lat=33.9, lon=118.3)).returning(Occurrence.id))[0]["id"]
    await signups.apply(volunteer_id=people[1], occurrence_id=other)
    after_sign_up = await service.rank_for_target(**ask, why_not=True)
    assert people[1] not in {c["volunteer_id"] for c in after_sign_up["candidates"]}
    assert "overlap" in next(e for e in after_sign_up["excluded"] if e["volunteer_id"] == people[1])["rules"]

    # The occurrence's own row: cancelled, it is no longer open to match.
    await signups.cancel_occurrence(occurrence_id=occurrence, reason="下雨")
    from tongxin.errors import NotFound

    with pytest.raises(NotFound):
        await service.rank_for_target(**ask)


async def test_the_district_read_in_groups_equals_one_read_of_everyone(app, monkeypatch):
    from datetime import datetime, timezone

    import matching
    from tongxin.activities import signups
    from tongxin.matches import district, snapshot

    place = await small_district(volunteers=5, capacity=3)
    for person in place["volunteers"][:3]:
        await signups.apply(volunteer_id=person, occurrence_id=place["occurrence"])
    now = datetime.now(timezone.utc)
    monkeypatch.setattr(district, "CHUNK", 2)
    _, grouped, commitments = await district.read_district(now)
    rows = await snapshot.load_volunteers(await snapshot.load_vocabulary(), now=now)
    assert len(grouped) == 5 and len(commitments) == 3
    assert_same_facts(person_facts(grouped, commitments),
                      person_facts(matching.VolunteerArrays.from_obj(rows), rows.commitments()))


async def test_a_change_nobody_named_reaches_kept_rankings_with_the_next_full_read(app):
    from tongxin.matches import district, service
    from tongxin.volunteers.tables import VolunteerSkill

    place = await small_district(volunteers=3, capacity=3)
    ask = dict(target_type="occurrence", target_id=place["occurrence"], cache_seconds=3600)
    assert len((await service.rank_for_target(**ask))["candidates"]) == 3
    # Another process (no key reaches this one) removes a person's only skill.
    await VolunteerSkill.delete().where(VolunteerSkill.volunteer == place["volunteers"][0])
    assert len((await service.rank_for_target(**ask))["candidates"]) == 3  # kept: this process heard nothing
    await district.warm_district().start_full_read()
    after = await service.rank_for_target(**ask)
    assert [c["volunteer_id"] for c in after["candidates"]].count(place["volunteers"][0]) == 0


async def test_a_key_named_inside_a_transaction_is_named_again_once_it_has_committed(app):
    from tongxin import memory
    from tongxin.db import current_engine, write_transaction
    from tongxin.matches import district  # noqa: F401 - its listener does the naming again

    heard: list[tuple[tuple[str, ...], bool]] = []
    listener = lambda keys: heard.append((keys, current_engine().current_transaction.get() is not None))  # noqa: E731
    memory.on_change(listener)
    try:
        async with write_transaction():
            memory.data_changed("volunteer:7")
        # The change feed passes on what is named; named only inside, other processes could read too early.
        assert (("volunteer:7",), True) in heard and (("volunteer:7",), False) in heard
        assert heard.index((("volunteer:7",), False)) > heard.index((("volunteer:7",), True))
    finally:
        memory._LISTENERS.remove(listener)
