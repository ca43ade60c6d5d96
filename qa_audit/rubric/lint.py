"""`qa-audit rubric lint`: schema and pattern errors, rules without examples, duplicate and
shadowed patterns, lemmas the lookup lemmatizer never produces, missing languages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import RubricError
from ..nlp import get_pipeline
from .compile import VocabExpander
from .loader import load_rubric
from .phrases import PhraseSyntaxError, Sequence, expand_pattern
from .schema import Rubric


SPAN_SETS = ("specific_time", "vague_time", "immediate", "not_a_time", "sarcasm", "backchannel")


@dataclass(frozen=True)
class LintIssue:
    level: str  # error | warning
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.level}: {self.message}"


def _contains(long: Sequence, short: Sequence) -> bool:
    n = len(short)
    return n < len(long) and any(long[i:i + n] == short for i in range(len(long) - n + 1))


def _lemma_check(language: str):
    """A function telling whether the lookup lemmatizer can ever produce a lemma: it cannot
    when the word is itself a form the table maps elsewhere and no form maps to it."""
    nlp = get_pipeline(language)
    try:
        table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
    except (KeyError, ValueError):
        return lambda lemma: True
    values = {str(v).lower() for v in table.values()}

    def producible(lemma: str) -> bool:
        return lemma in values or not (lemma in table or lemma.capitalize() in table)
    return producible


def lint_rubric(path: str | Path | None) -> list[LintIssue]:
    issues: list[LintIssue] = []
    try:
        rubric = load_rubric(path)
    except RubricError as exc:
        for item in getattr(exc, "all_errors", [str(exc)]):
            m = re.match(r"(.*?):(\d+): (.*)", item)
            issues.append(LintIssue("error", m.group(1), int(m.group(2)), m.group(3)) if m
                          else LintIssue("error", str(path or "rubric"), 0, item))
        return issues
    issues += _lint_rules(rubric)
    return issues


def _lint_rules(rubric: Rubric) -> list[LintIssue]:
    issues: list[LintIssue] = []
    main = rubric.files[0]
    used_vocab: set[str] = set()
    produced = {c for r in rubric.rules for c in r.checks}
    for crit in rubric.criteria:
        for check in crit.fails_on:
            if check not in produced:
                issues.append(LintIssue("warning", main, crit.line, f"criterion '{crit.id}' fails on '{check}', which no rule produces"))
    for lang in rubric.languages:
        nlp = get_pipeline(lang)
        words = VocabExpander(rubric, nlp, lang)  # pattern errors are reported one by one below
        producible = _lemma_check(lang)
        for rule in rubric.rules:
            if not rule.match.get(lang) or not rule.no_match.get(lang):
                issues.append(LintIssue("error", rule.file, rule.line, f"rule '{rule.id}' has no {lang} examples (needs match and no_match)"))
            if not rule.suggestion.get(lang):
                issues.append(LintIssue("warning", rule.file, rule.line, f"rule '{rule.id}' has no {lang} suggestion"))
            for set_name, by_lang in rule.sets.items():
                patterns = by_lang.get(lang, [])
                seen: dict[Sequence, int] = {}
                expanded: list[tuple[int, list[Sequence]]] = []
                for i, pattern in enumerate(patterns):
                    used_vocab.update(re.findall(r"@(\w+)", pattern))
                    if "#num" in pattern:
                        used_vocab.add("number")
                    try:
                        seqs = expand_pattern(pattern, words.split, words.vocab)
                    except PhraseSyntaxError as exc:
                        issues.append(LintIssue("error", rule.file, rule.pattern_lines.get((set_name, lang, i), rule.line), f"rule '{rule.id}' {set_name}.{lang}[{i}] \"{pattern}\": {exc}"))
                        continue
                    for seq in seqs:
                        if seq in seen and seen[seq] != i:
                            issues.append(LintIssue("warning", rule.file, rule.line,
                                                    f"rule '{rule.id}' {set_name}.{lang}[{i}] \"{pattern}\" repeats a phrase of [{seen[seq]}]"))
                            break
                        seen.setdefault(seq, i)
                    expanded.append((i, seqs))
                    for spec in (s for seq in seqs for s in seq):
                        if spec.kind == "lemma" and not producible(str(spec.value)):
                            issues.append(LintIssue("error", rule.file, rule.line,
                                                    f"rule '{rule.id}' {set_name}.{lang}[{i}]: lemma '~{spec.value}' is never produced by the {lang} lookup lemmatizer (it maps that word to another lemma); match the word instead"))
                # a pattern all of whose phrases contain a shorter pattern's phrase detects nothing
                # new (time sets are exempt: there the longer span is what the finding quotes)
                for i, seqs in (expanded if set_name not in SPAN_SETS else []):
                    for j, others in expanded:
                        if i != j and seqs and all(any(_contains(s, o) for o in others) for s in seqs):
                            issues.append(LintIssue("warning", rule.file, rule.pattern_lines.get((set_name, lang, i), rule.line),
                                                    f"rule '{rule.id}' {set_name}.{lang}[{i}] \"{patterns[i]}\" detects nothing that the shorter [{j}] \"{patterns[j]}\" does not"))
                            break
            for lang_required in rubric.languages:
                for set_name, by_lang in rule.sets.items():
                    if lang_required == lang and not by_lang.get(lang) and set_name in ("patterns",):
                        issues.append(LintIssue("error", rule.file, rule.line, f"rule '{rule.id}' has no {lang} {set_name}"))
    for name in rubric.vocab:
        if name not in used_vocab:
            issues.append(LintIssue("warning", main, 0, f"vocabulary '@{name}' is never used"))
    return sorted(set(issues), key=lambda i: (i.file, i.line, i.level, i.message))
