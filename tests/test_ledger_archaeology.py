"""Act I's archaeology on empty, partial and full ledgers; "no data" is None, never 50%."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from constraintlab.ledger import archaeology as arch
from constraintlab.ledger.sample import sample_entries
from ledger_fixtures.builders import ALL_KEYS

PUBLISHED_DOMAINS = {  # written out from lab_v2_17_published.py's _domain_chapters
    "Memory": ["5", "8", "10"],
    "Compute": ["11", "12", "v2_09"],
    "Serving": ["13", "v2_10"],
    "Scale": ["v2_01", "v2_05"],
    "Networking": ["v2_02", "v2_03", "v2_06"],
    "Reliability": ["v2_07"],
    "Privacy/Ethics": ["15", "16", "v2_13", "v2_16"],
    "Economics": ["v2_08", "v2_09", "v2_15"],
}


def test_domains_are_the_published_labs_mapping() -> None:
    assert {d: list(c) for d, c in arch.DOMAIN_CHAPTERS.items()} == PUBLISHED_DOMAINS
    assert list(arch.DOMAIN_CHAPTERS) == list(PUBLISHED_DOMAINS)
    assert set(arch.DOMAIN_INVARIANTS) == set(PUBLISHED_DOMAINS)


def test_an_empty_ledger_has_no_data_anywhere() -> None:
    result = arch.audit({})
    assert result.is_empty
    for stats in result.domains.values():
        assert stats.labs_done == 0
        assert stats.hit_rate is None and stats.prediction_accuracy is None
    assert result.totals == arch.Totals(0, 32, 0, 0, False)
    accuracy = result.accuracy
    assert accuracy.vol1.share is None and accuracy.vol2.share is None
    assert accuracy.overall.share is None
    assert result.most_violated is None and result.weakest is None
    assert result.dominant_context is None
    assert [lab.state for lab in result.timeline] == ["todo"] * 33


def test_a_partial_ledger_counts_only_what_was_recorded() -> None:
    entries: dict[str, dict[str, Any]] = {
        "5": {"constraint_hit": True, "act1_correct": False, "context": "edge"},
        "8": {"constraint_hit": False, "act1_correct": True, "context": "edge"},
        "v2_07": {"constraint_hit": True, "context": "cloud"},  # no prediction recorded
        "v2_17": {"constraint_hit": True, "act1_correct": False},  # the capstone itself
    }
    result = arch.audit(entries)
    memory, reliability = result.domains["Memory"], result.domains["Reliability"]
    assert (memory.labs_done, memory.hit_rate, memory.prediction_accuracy) == (2, 0.5, 0.5)
    assert (reliability.labs_done, reliability.hit_rate) == (1, 1.0)
    assert reliability.prediction_accuracy is None  # no data, not 50%
    assert result.domains["Compute"].hit_rate is None
    assert result.totals == arch.Totals(3, 32, 2, 3, True)
    assert result.accuracy.vol1 == arch.Ratio(1, 2)
    assert result.accuracy.vol2 == arch.Ratio(0, 0) and result.accuracy.vol2.share is None
    assert result.most_violated == ("Reliability", 1.0)
    assert result.weakest is None  # only one domain has predictions: nothing to compare
    assert result.dominant_context == "edge"
    states = {lab.key: lab.state for lab in result.timeline}
    assert states["5"] == "hit" and states["8"] == "done" and states["1"] == "todo"
    assert states["v2_17"] == "hit"  # on the timeline, though not in the audit


def test_only_json_booleans_count_as_recorded() -> None:
    entries = {"5": {"constraint_hit": "true", "act1_correct": 1}, "8": {"constraint_hit": None}}
    memory = arch.domain_stats(entries)["Memory"]
    assert memory.labs_done == 2
    assert memory.hit_rate is None and memory.prediction_accuracy is None


def test_ties_and_all_zero_name_no_domain() -> None:
    tie = {"5": {"constraint_hit": True}, "13": {"constraint_hit": True}}
    assert arch.most_violated(arch.domain_stats(tie)) is None
    none_hit = {"5": {"constraint_hit": False}, "13": {"constraint_hit": False}}
    assert arch.most_violated(arch.domain_stats(none_hit)) is None
    all_right = {"5": {"act1_correct": True}, "13": {"act1_correct": True}}
    assert arch.weakest(arch.domain_stats(all_right)) is None
    one_tie = {"5": {"act1_correct": False}, "13": {"act1_correct": False}}
    assert arch.weakest(arch.domain_stats(one_tie)) is None
    tied_thirds = {  # Memory 1/3 and Economics 1/3 share the top; Compute (v2_09) is 0/1
        "5": {"constraint_hit": True},
        "8": {"constraint_hit": False},
        "10": {"constraint_hit": False},
        "v2_08": {"constraint_hit": True},
        "v2_09": {"constraint_hit": False},
        "v2_15": {"constraint_hit": False},
    }
    assert arch.most_violated(arch.domain_stats(tied_thirds)) is None
    tied_thirds["v2_15"] = {"constraint_hit": True}  # Economics 2/3: now it leads alone
    assert arch.most_violated(arch.domain_stats(tied_thirds)) == ("Economics", 2 / 3)


def test_dominant_context_needs_a_single_leader() -> None:
    assert arch.dominant_context({"1": {"context": "a"}, "2": {"context": "b"}}) is None
    assert arch.dominant_context({"1": {"context": " a "}, "2": {"context": "a"}}) == "a"
    assert arch.dominant_context({"1": {"context": ""}, "2": {"context": 3}}) is None


def test_other_key_spellings_and_junk_are_tolerated() -> None:
    entries: dict[Any, Any] = {5: {"constraint_hit": True}, "v9_99": {"x": 1}, "8": "not a design"}
    memory = arch.domain_stats(entries)["Memory"]
    assert memory.labs_done == 2 and memory.hits == arch.Ratio(1, 1)


def test_the_full_sample_journey() -> None:
    result = arch.audit(sample_entries())
    assert result.totals == arch.Totals(32, 32, 12, 32, False)
    assert result.accuracy.vol1 == arch.Ratio(11, 16)
    assert result.accuracy.vol2 == arch.Ratio(13, 16)
    assert result.accuracy.overall == arch.Ratio(24, 32)
    assert result.most_violated == ("Networking", 1.0)
    assert result.weakest == ("Privacy/Ethics", 0.25)
    assert result.dominant_context == "cloud"
    rates = {d: s.hit_rate for d, s in result.domains.items()}
    assert rates == pytest.approx(
        {
            "Memory": 2 / 3,
            "Compute": 0.0,
            "Serving": 0.5,
            "Scale": 0.5,
            "Networking": 1.0,
            "Reliability": 0.0,
            "Privacy/Ethics": 0.5,  # 50 points behind Networking: Act I can grade (issue 25)
            "Economics": 1 / 3,
        }
    )
    assert all(s.labs_done == s.labs_total for s in result.domains.values())
    assert sum(lab.state != "todo" for lab in result.timeline) == 32


designs = st.fixed_dictionaries(
    {},
    optional={
        "constraint_hit": st.one_of(st.booleans(), st.none(), st.text(max_size=3)),
        "act1_correct": st.one_of(st.booleans(), st.integers(0, 1)),
        "context": st.sampled_from(["cloud", "edge", "", "tiny"]),
    },
)


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(st.dictionaries(st.sampled_from(ALL_KEYS), designs, max_size=33))
def test_properties_of_any_ledger(entries: dict[str, dict[str, Any]]) -> None:
    result = arch.audit(entries)
    for stats in result.domains.values():
        recorded = [
            entries[c]["constraint_hit"]
            for c in stats.chapters
            if c in entries and isinstance(entries[c].get("constraint_hit"), bool)
        ]
        assert (stats.hit_rate is None) == (not recorded)
        if recorded:
            assert stats.hit_rate == sum(recorded) / len(recorded)
        assert 0 <= stats.labs_done <= stats.labs_total
    if result.most_violated is not None:
        name, rate = result.most_violated
        assert rate == result.domains[name].hit_rate and rate > 0
        others = [s.hit_rate for d, s in result.domains.items() if d != name]
        assert all(r is None or r < rate for r in others)
    if result.weakest is not None:
        name, rate = result.weakest
        others = [s.prediction_accuracy for d, s in result.domains.items() if d != name]
        assert all(r is None or r > rate for r in others)
    assert result.totals.labs_done == len([k for k in entries if k != "v2_17"])
