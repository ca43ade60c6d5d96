"""The phrase syntax: what a rubric author writes and what it matches in real text."""

import pytest

from qa_audit.rubric.phrases import PhraseSyntaxError, expand_pattern


def split(word):
    return [word]


def words(seqs):
    return sorted(" ".join(str(t.value) for t in s) for s in seqs)


def test_optional_words_and_multiword_alternatives_expand():
    seqs = expand_pattern("i [really] (want to|wish to) help", split)
    assert words(seqs) == ["i really want to help", "i really wish to help", "i want to help", "i wish to help"]


def test_single_word_alternatives_become_one_token():
    seqs = expand_pattern("(a|b|c) (d|e)", split)
    assert len(seqs) == 1 and [t.kind for t in seqs[0]] == ["any", "any"]


@pytest.mark.parametrize("pattern, message", [
    ("a (b", "never closed"),
    ("a b)", "unbalanced"),
    ("a (b|c)? d", r"use \[ \] for optional"),
    ("... a", "cannot start or end"),
    ("[a]", "match nothing"),
    ("@nowhere", "unknown vocabulary"),
    ("a /[/ b", "bad regular expression"),
])
def test_syntax_errors_say_what_is_wrong(pattern, message):
    with pytest.raises(PhraseSyntaxError, match=message):
        expand_pattern(pattern, split)


def test_contractions_and_curly_apostrophes_match_the_long_form(auditor):
    # "I'll" / "I’ll" / "I will" share spaCy's NORM, so one pattern covers all three
    compiled = auditor.compiled("en")
    for text in ("I'll take care of this.", "I’ll take care of this.", "I will take care of this."):
        doc = compiled.nlp(text)
        assert ("ownership-first-person", "patterns") in compiled.match(doc), text


def test_matches_never_cross_sentences(auditor):
    compiled = auditor.compiled("en")
    doc = compiled.nlp("That is our. Policy is strict.")
    assert ("defensive-policy-shield", "patterns") not in compiled.match(doc)
