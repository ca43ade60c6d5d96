"""Criteria: pass / fail / n/a, weights, 'unless later', auto-fail."""

from qa_audit.rubric.schema import Criterion
from qa_audit.scoring import Mark, score_conversation


def crit(cid, fails_on, applies="always", applies_checks=(), unless_later=(), weight=1.0, auto_fail=False):
    return Criterion(id=cid, name=cid, weight=weight, fails_on=list(fails_on), applies=applies,
                     applies_checks=list(applies_checks), unless_later=list(unless_later),
                     auto_fail=auto_fail, description="", line=0)


CRITERIA = [
    crit("finish", ["interruption"]),
    crit("defensive", ["defensive_language"], weight=2),
    crit("empathy", ["missed_empathy"], applies="when_customer_upset"),
    crit("timelines", ["vague_promise"], applies="when_any", applies_checks=["vague_promise", "promised_timeline"]),
    crit("ownership", ["deflection"], applies="when_any", applies_checks=["deflection", "ownership"], unless_later=["ownership"]),
]


def outcomes(marks, upset=False, criteria=CRITERIA):
    results, score, auto = score_conversation("c", criteria, [Mark(i, c) for i, c in marks], upset)
    return {r.criterion: r.outcome for r in results}, score, auto


def test_clean_conversation_scores_100_with_na_criteria():
    out, score, auto = outcomes([])
    assert out == {"finish": "pass", "defensive": "pass", "empathy": "na", "timelines": "na", "ownership": "na"}
    assert score == 100.0 and not auto


def test_weights_count_and_na_is_left_out():
    out, score, _ = outcomes([(1, "defensive_language"), (3, "promised_timeline")])
    assert out["defensive"] == "fail" and out["timelines"] == "pass"
    assert score == round(100 * (1 + 1) / (1 + 2 + 1), 1)  # finish + timelines of finish, defensive(2), timelines


def test_empathy_applies_only_when_the_customer_was_upset():
    assert outcomes([], upset=True)[0]["empathy"] == "pass"
    assert outcomes([(2, "missed_empathy")])[0]["empathy"] == "fail"


def test_deflection_redeemed_by_later_ownership_only():
    assert outcomes([(1, "deflection"), (3, "ownership")])[0]["ownership"] == "pass"
    assert outcomes([(3, "ownership"), (5, "deflection")])[0]["ownership"] == "fail"


def test_auto_fail_sets_score_to_zero():
    criteria = CRITERIA[:1] + [crit("defensive", ["defensive_language"], auto_fail=True)]
    out, score, auto = outcomes([(1, "defensive_language")], criteria=criteria)
    assert out["defensive"] == "fail" and auto and score == 0.0
    _, score, auto = outcomes([(1, "interruption")], criteria=criteria)
    assert score == 50.0 and not auto
