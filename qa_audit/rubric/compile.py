"""Compile a rubric's phrase sets into spaCy matchers, once per language and process."""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from ..errors import RubricError
from .phrases import PhraseSyntaxError, Sequence, TokenSpec, expand_pattern, to_matcher_pattern
from .schema import Rubric

SEP = "\x1f"


@dataclass(frozen=True)
class Hit:
    """One pattern match: token span in the doc and which pattern of which set fired."""

    rule: str
    set: str
    pattern: int  # index in the set's list for this language
    start: int  # token indexes
    end: int


MAX_PHRASES_PER_SEQUENCE = 512


def _expand_word_choices(seq: Sequence) -> list[Sequence] | None:
    """The plain phrases a sequence of words and word choices stands for; None when it has
    other tokens or would expand to too many phrases."""
    options: list[list[TokenSpec]] = []
    total = 1
    for spec in seq:
        if spec.kind == "word":
            options.append([spec])
        elif spec.kind == "any" and not spec.value[1]:  # type: ignore[index]
            options.append([TokenSpec("word", w) for w in spec.value[0]])  # type: ignore[index]
        else:
            return None
        total *= len(options[-1])
        if total > MAX_PHRASES_PER_SEQUENCE:
            return None
    return [tuple(p) for p in itertools.product(*options)]


class VocabExpander:
    """Turns literal words into NORM values and @vocabulary references into token sequences
    for one language (shared by the compiler and the linter)."""

    def __init__(self, rubric: Rubric, nlp: Language, language: str):
        self.rubric = rubric
        self.nlp = nlp
        self.language = language
        self._split_cache: dict[str, list[str]] = {}

    def split(self, word: str) -> list[str]:
        if word not in self._split_cache:
            self._split_cache[word] = [t.norm_ for t in self.nlp.make_doc(word)]
        return self._split_cache[word]

    def vocab(self, name: str, _trail: tuple[str, ...] = ()) -> list[list[TokenSpec]]:
        phrases = self.rubric.vocab.get(name)
        if phrases is None:
            raise PhraseSyntaxError(f"unknown vocabulary '@{name}'")
        if name in _trail:
            raise PhraseSyntaxError(f"vocabulary '@{name}' refers to itself ({' -> '.join(_trail + (name,))})")
        out: list[list[TokenSpec]] = []
        for phrase in phrases.get(self.language, []):
            out.extend(list(s) for s in expand_pattern(phrase, self.split,
                                                       lambda n: self.vocab(n, _trail + (name,))))
        if not out:
            raise PhraseSyntaxError(f"vocabulary '@{name}' has no phrases for '{self.language}'")
        return out


class CompiledRubric:
    """All phrase sets of a rubric for one language, in one PhraseMatcher and one Matcher."""

    def __init__(self, rubric: Rubric, nlp: Language, language: str):
        self.rubric = rubric
        self.language = language
        self.nlp = nlp
        self.phrase_matcher = PhraseMatcher(nlp.vocab, attr="NORM")
        self.matcher = Matcher(nlp.vocab)
        self.pattern_text: dict[tuple[str, str, int], str] = {}
        self.expansions: dict[tuple[str, str, int], list[Sequence]] = {}
        self.words = VocabExpander(rubric, nlp, language)
        self._literals: dict[tuple[str, str, int], frozenset[str]] = {}
        errors: list[str] = []
        for rule in rubric.rules:
            for set_name, by_lang in rule.sets.items():
                for i, pattern in enumerate(by_lang.get(language, [])):
                    key = (rule.id, set_name, i)
                    self.pattern_text[key] = pattern
                    try:
                        seqs = expand_pattern(pattern, self.words.split, self.words.vocab)
                    except PhraseSyntaxError as exc:
                        line = rule.pattern_lines.get((set_name, language, i), rule.line)
                        errors.append(f"{rule.file}:{line}: rule '{rule.id}': {set_name}.{language}[{i}] '{pattern}': {exc}")
                        continue
                    self.expansions[key] = seqs
                    self._add(key, seqs)
        self.negation = self._compile_negation(errors)
        if errors:
            raise RubricError(errors[0] + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""))

    # -- building -------------------------------------------------------------------------
    def _add(self, key: tuple[str, str, int], seqs: list[Sequence]) -> None:
        """Word-only sequences go to the fast PhraseMatcher (word alternatives expanded while
        that stays small); only gaps, lemmas, prefixes, numbers and regexes need the Matcher."""
        label = SEP.join(map(str, key))
        plain: list[Sequence] = []
        other: list[Sequence] = []
        for seq in seqs:
            expanded = _expand_word_choices(seq)
            if expanded is None:
                other.append(seq)
            else:
                plain.extend(expanded)
        if plain:
            self.phrase_matcher.add(label, [Doc(self.nlp.vocab, words=[t.value for t in s]) for s in plain])
        if other:
            self.matcher.add(label, [to_matcher_pattern(s) for s in other])

    def _compile_negation(self, errors: list[str]) -> set[str]:
        cues: set[str] = set()
        for phrase in self.rubric.negation.get(self.language, []):
            for word in phrase.split():
                cues.update(self.words.split(word))
        return cues

    def literal_words(self, hit: Hit) -> frozenset[str]:
        """The words a pattern spells out itself (so "oh no" is not a negated "oh")."""
        key = (hit.rule, hit.set, hit.pattern)
        if key not in self._literals:
            words: set[str] = set()
            for seq in self.expansions.get(key, []):
                for spec in seq:
                    if spec.kind == "word":
                        words.add(str(spec.value))
                    elif spec.kind == "any":
                        words.update(spec.value[0])  # type: ignore[index]
            self._literals[key] = frozenset(words)
        return self._literals[key]

    # -- matching -------------------------------------------------------------------------
    def match(self, doc: Doc) -> dict[tuple[str, str], list[Hit]]:
        """Every hit in the doc, grouped by (rule, set), deduplicated, in document order.
        A hit never crosses a sentence boundary."""
        found: set[tuple[int, int, int]] = set()
        if len(self.phrase_matcher):
            for match_id, start, end in self.phrase_matcher(doc):
                found.add((match_id, start, end))
        if len(self.matcher):  # an empty Matcher warns (W036) on every call
            for match_id, start, end in self.matcher(doc):
                found.add((match_id, start, end))
        grouped: dict[tuple[str, str], list[Hit]] = defaultdict(list)
        for match_id, start, end in sorted(found, key=lambda x: (x[1], x[2], x[0])):
            if any(doc[i].is_sent_start for i in range(start + 1, end)):
                continue
            rule, set_name, idx = self.nlp.vocab.strings[match_id].split(SEP)
            grouped[(rule, set_name)].append(Hit(rule, set_name, int(idx), start, end))
        return grouped
