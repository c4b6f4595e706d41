"""The proposed public text of a wish: no household fact in any form people write it, the need intact."""

import ast
from pathlib import Path

import pytest
from tongxin.wishes import redaction
from tongxin.wishes.redaction import HouseholdFacts, find, redact

from tests.wishes.leaks import leaks
from tests.wishes.redaction_corpus import FORMS, ORDINARY


def proposed(form) -> str:
    return redact(form.text, HouseholdFacts(**form.record))


def test_the_corpus_holds_at_least_150_rewritten_forms_each_leaking_before_redaction():
    assert len(FORMS) >= 150
    # The checker must be able to fail: every raw form shows it at least one household fact.
    assert [form.text for form in FORMS if not leaks(form.text, form.facts)] == []


def test_no_corpus_form_leaks_a_household_fact():
    leaked = {form.text: found for form in FORMS if (found := leaks(proposed(form), form.facts))}
    assert leaked == {}


def test_the_need_survives_in_every_corpus_form():
    lost = {form.text: missing for form in FORMS
            if (missing := [k for k in form.keeps if k not in proposed(form)])}
    assert lost == {}


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_reaches_the_public_unchanged(text):
    assert redact(text) == text


@pytest.mark.parametrize("text, expected", [
    ("李大爷住5幢101，老伴去年走了，视力不好", "某大爷住〔住址已隐去〕，老伴去年走了，视力不好"),
    ("王阿姨家（8幢302）需要修屋顶", "某阿姨家（〔住址已隐去〕）需要修屋顶"),
    ("刘奶奶电话１３８ １２３４ ５６７８", "某奶奶〔电话已隐去〕"),
    ("住在恒大绿洲，需要有人陪同去医院", "住在某小区，需要有人陪同去医院"),
    ("身份证32012319500315421４", "身份证〔身份证号已隐去〕"),
    ("车牌苏H·12345", "〔车牌号已隐去〕"),
])
def test_placeholders_read_as_plain_chinese(text, expected):
    assert redact(text) == expected


def test_redacting_a_proposal_again_changes_nothing():
    for form in FORMS:
        once = proposed(form)
        assert redact(once, HouseholdFacts(**form.record)) == once


def test_findings_tell_the_households_own_details_from_other_peoples():
    facts = HouseholdFacts(name="李建国", phone="13812345678", address="恒大绿洲5幢101室")
    own = {f.kind for f in find("李 建 国 一三八一二三四五六七八", facts) if f.own}
    assert own == {"name", "phone"}
    assert not any(f.own for f in find("社区服务中心电话0517-12345678", facts))


def test_an_empty_text_stays_empty():
    assert redact("", HouseholdFacts(name="李建国")) == ""


def test_the_redactor_is_pure_computation_with_no_database_or_web_import():
    tree = ast.parse(Path(redaction.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not {name for name in imported if name.split(".")[0] in {"piccolo", "litestar", "tongxin", "asyncpg"}}
