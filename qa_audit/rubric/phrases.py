"""The compact phrase syntax of rubric patterns, parsed and expanded into token sequences.

    i (understand|can see) [exactly] how ~frustrate ...3 this is

- words match case-insensitively on spaCy's NORM, so "I'll" and "I will" are the same;
- `(a b|c)` alternatives, `[a b]` optional words;
- `~word` lemma (lookup lemmatizer), `pref*` any word starting with pref, `=Word` exactly
  this spelling, case included (`=Sie`, the polite "you", not "sie");
- `#num` a number: digits, or a number word of the rubric's vocabulary `number` ("drei");
- `/regex/` a word matching a regular expression;
- `...` up to 3 other words, `...N` up to N (never across sentences);
- `@name` one of the phrases of the rubric's vocabulary `name`.

Sequences made only of plain words go to spaCy's PhraseMatcher; the rest to the Matcher.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Callable

MAX_EXPANSIONS = 4096

_TOKEN = re.compile(r"\s*(\(|\)|\[|\]|\||/(?:[^/\\]|\\.)+/|(?:\.\.\.|…)\d*|[?*+](?=[\s()\[\]|]|$)|[^\s()\[\]|]+)")


class PhraseSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class TokenSpec:
    kind: str  # word | any | exact | lemma | prefix | num | regex | gap
    value: str | int | tuple | None = None


Sequence = tuple[TokenSpec, ...]


def tokenize_pattern(pattern: str) -> list[str]:
    pos, out = 0, []
    pattern = pattern.strip()
    while pos < len(pattern):
        m = _TOKEN.match(pattern, pos)
        if not m:
            raise PhraseSyntaxError(f"cannot read the pattern at '{pattern[pos:]}'")
        out.append(m.group(1))
        pos = m.end()
    return out


class _Parser:
    """Recursive descent over the pattern's tokens; returns the list of expansions."""

    def __init__(self, pattern: str, split_words: Callable[[str], list[str]],
                 vocab: Callable[[str], list[list[TokenSpec]]]):
        self.pattern = pattern
        self.tokens = tokenize_pattern(pattern)
        self.i = 0
        self.split_words = split_words
        self.vocab = vocab

    def parse(self) -> list[Sequence]:
        result = self._alternatives(closing=None)
        if self.i != len(self.tokens):
            raise PhraseSyntaxError(f"unexpected '{self.tokens[self.i]}'")
        if any(len(seq) == 0 for seq in result):
            raise PhraseSyntaxError("the pattern can match nothing at all (everything is optional)")
        return result

    def _alternatives(self, closing: str | None) -> list[Sequence]:
        options = [self._sequence(closing)]
        while self.i < len(self.tokens) and self.tokens[self.i] == "|":
            self.i += 1
            options.append(self._sequence(closing))
        return _merge_single_words(_dedupe(itertools.chain.from_iterable(options)))

    def _sequence(self, closing: str | None) -> list[Sequence]:
        parts: list[list[Sequence]] = []
        while self.i < len(self.tokens):
            tok = self.tokens[self.i]
            if tok == "|" or tok == closing:
                break
            if tok in (")", "]"):
                raise PhraseSyntaxError(f"unbalanced '{tok}'")
            if tok in ("?", "*", "+") and parts:
                raise PhraseSyntaxError(f"'{tok}' after a word or group is not phrase syntax; use [ ] for optional words")
            self.i += 1
            if tok in ("(", "["):
                close = ")" if tok == "(" else "]"
                inner = self._alternatives(closing=close)
                if self.i >= len(self.tokens) or self.tokens[self.i] != close:
                    raise PhraseSyntaxError(f"'{tok}' is never closed")
                self.i += 1
                parts.append(inner + ([()] if tok == "[" else []))
            else:
                parts.append(self._atom(tok))
        expansions: list[Sequence] = [()]
        for options in parts:
            expansions = [a + b for a in expansions for b in options]
            if len(expansions) > MAX_EXPANSIONS:
                raise PhraseSyntaxError(f"expands to more than {MAX_EXPANSIONS} phrases; split it")
        return expansions

    def _atom(self, tok: str) -> list[Sequence]:
        if tok.startswith("/") and tok.endswith("/") and len(tok) > 2:
            regex = tok[1:-1]
            try:
                re.compile(regex)
            except re.error as exc:
                raise PhraseSyntaxError(f"bad regular expression {tok}: {exc}") from None
            return [(TokenSpec("regex", regex),)]
        if tok.startswith("...") or tok.startswith("…"):
            digits = tok.lstrip(".…")
            n = int(digits) if digits else 3
            if not 1 <= n <= 10:
                raise PhraseSyntaxError(f"gap '{tok}' must allow 1 to 10 words")
            return [(TokenSpec("gap", n),)]
        if tok == "#num":  # a number in digits, or one of the rubric's @number words
            try:
                words = self.vocab("number")
            except PhraseSyntaxError:
                words = []
            number_words = sorted(str(w[0].value) for w in words if len(w) == 1 and w[0].kind == "word")
            return [(TokenSpec("num", tuple(number_words)),)]
        if tok.startswith("@") and len(tok) > 1:
            return _merge_single_words(_dedupe(tuple(seq) for seq in self.vocab(tok[1:])))
        if tok.startswith("=") and len(tok) > 1:  # exact spelling, case included ("=Sie")
            return [(TokenSpec("exact", tok[1:]),)]
        if tok.startswith("~") and len(tok) > 1:
            return [(TokenSpec("lemma", tok[1:].lower()),)]
        if tok.endswith("*") and len(tok) > 1 and "*" not in tok[:-1]:
            return [(TokenSpec("prefix", tok[:-1].lower()),)]
        if "*" in tok or "~" in tok or "#" == tok[:1]:
            raise PhraseSyntaxError(f"'{tok}' mixes special characters; see the phrase syntax")
        return [tuple(TokenSpec("word", w) for w in self.split_words(tok))]


def _merge_single_words(seqs: list[Sequence]) -> list[Sequence]:
    """Alternatives that are one word (or word prefix) each become one token that matches any
    of them, so "(a|b|c) (d|e)" stays one pattern instead of six."""
    singles = [s[0] for s in seqs if len(s) == 1 and s[0].kind in ("word", "prefix", "any")]
    if len(singles) < 2:
        return seqs
    words: set[str] = set()
    prefixes: set[str] = set()
    for spec in singles:
        if spec.kind == "word":
            words.add(str(spec.value))
        elif spec.kind == "prefix":
            prefixes.add(str(spec.value))
        else:
            w, p = spec.value  # type: ignore[misc]
            words.update(w)
            prefixes.update(p)
    merged = TokenSpec("any", (tuple(sorted(words)), tuple(sorted(prefixes))))
    rest = [s for s in seqs if not (len(s) == 1 and s[0].kind in ("word", "prefix", "any"))]
    return [(merged,)] + rest


def _dedupe(seqs) -> list[Sequence]:
    seen, out = set(), []
    for seq in seqs:
        if seq not in seen:
            seen.add(seq)
            out.append(seq)
    return out


def expand_pattern(pattern: str, split_words: Callable[[str], list[str]],
                   vocab: Callable[[str], list[list[TokenSpec]]] | None = None) -> list[Sequence]:
    """All token sequences a pattern stands for. split_words turns a literal into NORM values."""
    def no_vocab(name: str) -> list[list[TokenSpec]]:
        raise PhraseSyntaxError(f"unknown vocabulary '@{name}'")

    seqs = _Parser(pattern, split_words, vocab or no_vocab).parse()
    for seq in seqs:
        if seq and (seq[0].kind == "gap" or seq[-1].kind == "gap"):
            raise PhraseSyntaxError("a gap '...' cannot start or end a pattern")
    return seqs


def is_plain(seq: Sequence) -> bool:
    return all(t.kind == "word" for t in seq)


def to_matcher_pattern(seq: Sequence) -> list[dict]:
    """A spaCy Matcher pattern for one expanded sequence."""
    out: list[dict] = []
    for spec in seq:
        if spec.kind == "word":
            out.append({"NORM": spec.value})
        elif spec.kind == "any":
            words, prefixes = spec.value  # type: ignore[misc]
            if not prefixes:
                out.append({"NORM": {"IN": list(words)}})
            else:
                alts = [re.escape(w) + "$" for w in words] + [re.escape(p) for p in prefixes]
                out.append({"NORM": {"REGEX": "^(?:" + "|".join(alts) + ")"}})
        elif spec.kind == "exact":
            out.append({"ORTH": spec.value})
        elif spec.kind == "lemma":
            value = str(spec.value)
            out.append({"LEMMA": {"IN": sorted({value, value.capitalize(), value.upper()})}})
        elif spec.kind == "prefix":
            out.append({"LOWER": {"REGEX": "^" + re.escape(str(spec.value))}})
        elif spec.kind == "num":  # digits ("24", "3,5") or a number word, in one token test
            words = "|".join(re.escape(w) for w in (spec.value or ()))
            out.append({"NORM": {"REGEX": r"^\d+(?:[.,]\d+)?$" + (f"|^(?:{words})$" if words else "")}})
        elif spec.kind == "regex":
            out.append({"LOWER": {"REGEX": str(spec.value)}})
        elif spec.kind == "gap":
            out.append({"IS_SENT_START": False, "OP": f"{{0,{spec.value}}}"})
    return out
