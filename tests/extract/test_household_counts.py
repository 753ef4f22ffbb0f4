"""Household counts (contract section 6): cases as data in tests/cases/household_counts.jsonl."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.schema import APPROX
from tests.conftest import case_params, load_cases
from tests.extract.test_figures import check_items, run_both

CASES = load_cases("household_counts")



@pytest.mark.parametrize("case", case_params(CASES))
def test_case(case):
    text = case["text"]
    hh, figs = run_both(text)
    check_items(text, hh)
    got = [(h.households, h.persons) for h in hh]
    want = [(e.get("households"), e.get("persons")) for e in case["expect"]]
    assert got == want, [h.text for h in hh]
    for h, e in zip(hh, case["expect"]):
        for key in ("category", "year", "approx", "suspect"):
            if key in e:
                assert getattr(h, key) == e[key], (key, h)
    if "figures" in case:
        assert [[f.value, f.unit] for f in figs] == case["figures"]


def test_enough_cases_in_every_family():
    families = {c["family"] for c in CASES}
    assert {"contract", "pair", "year", "households", "persons", "persons_figure", "suspect",
            "not_household"} <= families


def test_approx_values_are_contract_values():
    for c in CASES:
        hh, _ = run_both(c["text"])
        for h in hh:
            assert h.approx is None or h.approx in APPROX
            assert h.households is None or isinstance(h.households, int)
            assert h.persons is None or isinstance(h.persons, int)


_ALPHABET = st.sampled_from(list("0123456789.,、，万千百一二两五户人名口余以上约?贫困低保脱贫全村共有建档立卡年")
                            + ["户，", "2015年", "�", "人次", "“", "”"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=50).map("".join))
def test_property_never_raises_and_spans_are_exact(text):
    hh, _figs = run_both(text)
    check_items(text, hh)
