"""The rubric as data: criteria (the scorecard) and rules (the detectors), validated on load."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CHECK_IDS = (
    "interruption", "defensive_language", "empathy", "missed_empathy",
    "promised_timeline", "vague_promise", "ownership", "deflection",
)
POLARITY = {
    "interruption": "negative", "defensive_language": "negative", "empathy": "positive",
    "missed_empathy": "negative", "promised_timeline": "positive", "vague_promise": "negative",
    "ownership": "positive", "deflection": "negative",
}
SEVERITIES = ("info", "minor", "major", "critical")
SPEAKERS = ("agent", "customer", "any")
GUARDS = ("not_negated", "not_question")

# What each kind of rule needs: pattern sets it reads and parameters with their defaults.
KINDS: dict[str, dict[str, Any]] = {
    "phrase": {"sets": ("patterns",), "optional_sets": ("exceptions",), "params": {}},
    "promise": {
        "sets": ("commitment", "specific_time"),
        "optional_sets": ("vague_time", "exceptions", "not_a_time", "immediate", "timeless_commitment",
                          "timed_commitment", "instruction"),
        "params": {"vague_check": "vague_promise"},
    },
    "missed_empathy": {
        "sets": ("upset", "backchannel"),
        "optional_sets": ("not_upset", "sarcasm", "pointed"),
        "params": {"empathy_check": "empathy", "min_exclamations": 2, "min_caps_words": 2,
                   "max_backchannel_tokens": 2,
                   "min_question_marks": 3, "carry_over": True},
    },
    "interruption": {
        "sets": ("backchannel", "complaint"),
        "optional_sets": ("cutoff_marker", "dangling_word"),
        "params": {"min_overlap": 0.5, "max_backchannel_tokens": 2, "chat_max_gap": 5.0},
    },
}


@dataclass
class Example:
    text: str | None = None  # a single agent sentence, or
    messages: list[dict] | None = None  # a small conversation (role, text, start, end)
    expect: list[int] | None = None  # message indexes expected to fire (conversation cases)
    check: str | None = None  # which of the rule's checks must fire (default: any)
    line: int = 0


@dataclass
class Rule:
    id: str
    check: str
    kind: str
    message: str
    severity: str
    speaker: str
    guards: list[str]
    yields_to: list[str]
    sets: dict[str, dict[str, list[str]]]  # set name -> language -> patterns
    params: dict[str, Any]
    suggestion: dict[str, str]
    link: str
    match: dict[str, list[Example]]  # language -> examples that must fire
    no_match: dict[str, list[Example]]  # language -> examples that must not fire
    file: str
    line: int
    pattern_lines: dict[tuple[str, str, int], int] = field(default_factory=dict)

    @property
    def polarity(self) -> str:
        return POLARITY[self.check]

    @property
    def checks(self) -> list[str]:
        """Every check id this rule can emit."""
        extra = [self.params["vague_check"]] if self.kind == "promise" else []
        return [self.check, *extra]


@dataclass
class Criterion:
    id: str
    name: str
    weight: float
    fails_on: list[str]
    applies: str  # always | when_any | when_customer_upset
    applies_checks: list[str]
    unless_later: list[str]
    auto_fail: bool
    description: str
    line: int


@dataclass
class Rubric:
    id: str
    name: str
    version: str
    languages: list[str]
    criteria: list[Criterion]
    rules: list[Rule]
    vocab: dict[str, dict[str, list[str]]]
    negation: dict[str, list[str]]
    files: list[str]
    sha256: str
    thresholds: dict[str, dict[str, float]] = field(default_factory=dict)  # check|default -> precision/recall

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def suggestion_for(self, rule_id: str, language: str) -> str:
        s = self.rule(rule_id).suggestion
        return s.get(language) or s.get("en") or ""
