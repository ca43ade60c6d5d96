"""Criteria turn findings into pass / fail / n/a per conversation, and a weighted score."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .model import CriterionResult
from .rubric.schema import Criterion


@dataclass(frozen=True)
class Mark:
    """A check on a message: a finding, or a gold label (so both score the same way)."""

    message_index: int
    check: str


def judge(criterion: Criterion, marks: list[Mark], customer_upset: bool) -> tuple[str, str]:
    """(outcome, reason) of one criterion for one conversation."""
    checks = {m.check for m in marks}
    if criterion.applies == "when_any" and not checks & set(criterion.applies_checks):
        return "na", f"no {' or '.join(criterion.applies_checks)}"
    if criterion.applies == "when_customer_upset" and not (customer_upset or checks & set(criterion.fails_on)):
        return "na", "the customer was never upset"
    failing = [m for m in marks if m.check in criterion.fails_on]
    if criterion.unless_later:
        redeemers = [m.message_index for m in marks if m.check in criterion.unless_later]
        failing = [m for m in failing if not any(r >= m.message_index for r in redeemers)]
    if failing:
        where = ", ".join(f"{m.check} in message {m.message_index}" for m in failing[:3])
        return "fail", where + (" …" if len(failing) > 3 else "")
    return "pass", ""


def score_conversation(conversation_id: str, criteria: list[Criterion], marks: Iterable[Mark],
                       customer_upset: bool) -> tuple[list[CriterionResult], float | None, bool]:
    """Criterion results, score 0–100 (passed weight / applicable weight; None when nothing
    applies), and whether an auto-fail criterion failed (which sets the score to 0)."""
    marks = sorted(set(marks), key=lambda m: (m.message_index, m.check))
    results: list[CriterionResult] = []
    for crit in criteria:
        outcome, reason = judge(crit, marks, customer_upset)
        results.append(CriterionResult(conversation_id, crit.id, outcome, crit.weight,
                                       auto_fail=crit.auto_fail and outcome == "fail", reason=reason))
    applicable = sum(r.weight for r in results if r.outcome != "na")
    passed = sum(r.weight for r in results if r.outcome == "pass")
    auto_failed = any(r.auto_fail for r in results)
    if applicable == 0:
        return results, None, auto_failed
    score = 0.0 if auto_failed else round(100.0 * passed / applicable, 1)
    return results, score, auto_failed
