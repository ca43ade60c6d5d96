"""spaCy pipelines, built once per process and language, and offline language detection."""

from __future__ import annotations

import re
from functools import lru_cache

import spacy
from spacy.language import Language

from .errors import QaAuditError

SUPPORTED = ("en", "de")

# Frequent function words that rarely appear in the other language.
_MARKERS = {
    "en": set(
        "the and you your is are was were it this that to of for with have has not what "
        "we our can will would please thanks thank i'm don't it's there be my me on at".split()
    ),
    "de": set(
        "der die das und ist sind nicht ich sie ihr ihre ihnen wir uns ein eine einen "
        "mit für auf zu den dem des bitte danke auch noch wie was es bei vom zum zur "
        "haben habe hat wird werden kann können mein meine sehr schon aber oder".split()
    ),
}
_WORD = re.compile(r"[a-zäöüß']+", re.IGNORECASE)
_GERMAN_CHARS = re.compile(r"[äöüß]", re.IGNORECASE)


_MASK = re.compile(
    r"(?P<url>\b(?:https?://|www\.)\S+[^\s.,;:!?)\]}'\"])"
    r"|(?P<email>(?<![\w.+-])[\w.+-]{1,64}@[\w-]+(?:\.[\w-]+)+\b)"
    r"|(?P<space>\s{2,}|[^\S ])"
)
_PLACEHOLDER = {"url": "URL", "email": "EMAIL"}


def normalize_space(text: str) -> tuple[str, list[int] | None]:
    """The text spaCy sees: runs of white space (line breaks, tabs, double spaces) become one
    space, so a phrase still matches across a wrapped line, and web and mail addresses become
    one placeholder word, so nothing inside them ("…/2020/12/03…") reads as words or dates.
    Returns that text and, when it changed, a map from each of its character offsets (and
    its end) to the original text."""
    if not _MASK.search(text):
        return text, None
    out: list[str] = []
    index: list[int] = []
    pos = 0
    for m in _MASK.finditer(text):
        out.append(text[pos:m.start()])
        index.extend(range(pos, m.start()))
        if m.lastgroup == "space":
            out.append(" ")
            index.append(m.start())
        else:
            word = _PLACEHOLDER[m.lastgroup]
            out.append(word)
            index.extend([m.start()] * (len(word) - 1) + [m.end() - 1])
        pos = m.end()
    out.append(text[pos:])
    index.extend(range(pos, len(text)))
    index.append(len(text))
    return "".join(out), index


def detect_language(text: str, default: str = "en") -> str:
    """Guess en or de from function words and umlauts; fast and offline (no model)."""
    words = _WORD.findall(text.lower()[:4000])
    en = sum(1 for w in words if w in _MARKERS["en"])
    de = sum(1 for w in words if w in _MARKERS["de"]) + 0.5 * len(_GERMAN_CHARS.findall(text[:4000]))
    if en == de:
        return default
    return "de" if de > en else "en"


@lru_cache(maxsize=None)
def get_pipeline(language: str | None, model: str | None = None) -> Language:
    """The pipeline for a language: a named installed trained pipeline (its own language; the
    language argument then only checks it), or blank + sentencizer + lookup lemmatizer
    (spacy-lookups-data). Built once per process, never downloaded."""
    if language is not None and language not in SUPPORTED:
        raise QaAuditError(f"Unknown language '{language}'; supported: {', '.join(SUPPORTED)}.")
    if model:
        try:
            nlp = spacy.load(model, exclude=["ner", "textcat", "textcat_multilabel"])
        except OSError:
            raise QaAuditError(
                f"spaCy pipeline '{model}' is not installed; install it as a package or drop --model."
            ) from None
        if nlp.lang not in SUPPORTED or (language is not None and nlp.lang != language):
            raise QaAuditError(f"spaCy pipeline '{model}' is for '{nlp.lang}', not {language or 'en or de'}.")
        if not nlp.has_pipe("sentencizer") and not nlp.has_pipe("parser") and not nlp.has_pipe("senter"):
            nlp.add_pipe("sentencizer", first=True)
        return nlp
    if language is None:
        raise QaAuditError("A language is needed for the blank pipeline.")
    nlp = spacy.blank(language)
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    try:
        nlp.initialize()
    except (ValueError, OSError) as exc:  # lookup tables missing
        raise QaAuditError(
            f"The lookup lemmatizer for '{language}' could not load its tables ({exc}); "
            "install spacy-lookups-data."
        ) from None
    return nlp
