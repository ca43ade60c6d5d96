"""What every check reads: a conversation whose messages went through spaCy and the matchers."""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.tokens import Doc, Span

from ..model import Conversation, Finding, Message
from ..rubric.compile import CompiledRubric, Hit
from ..rubric.schema import POLARITY, Rule


@dataclass
class AnalyzedMessage:
    message: Message
    doc: Doc  # of the text with white space collapsed (see nlp.normalize_space)
    hits: dict[tuple[str, str], list[Hit]]
    char_map: list[int] | None = None  # doc character offset -> offset in message.text

    def original_offset(self, i: int) -> int:
        return self.char_map[i] if self.char_map is not None else i

    def hits_for(self, rule: Rule, set_name: str) -> list[Hit]:
        return self.hits.get((rule.id, set_name), [])

    @property
    def role(self) -> str:
        return self.message.role


@dataclass
class AnalyzedConversation:
    conversation: Conversation
    language: str
    messages: list[AnalyzedMessage]
    compiled: CompiledRubric
    signals: dict[str, object] = field(default_factory=dict)  # e.g. customer_upset


def speaker_ok(rule: Rule, message: Message) -> bool:
    return rule.speaker == "any" or message.role == rule.speaker


def sentence_of(doc: Doc, hit: Hit) -> Span:
    return doc[hit.start].sent


def is_negated(doc: Doc, hit: Hit, cues: set[str], literal: frozenset[str] = frozenset(),
               before: int = 3, after: int = 2) -> bool:
    """A negation cue up to `before` words before the match or `after` words after it, or inside
    it where the pattern does not spell it out itself ("Oh no", "shouldn't have happened"),
    within the same sentence ("I don't understand why", "Ich verstehe nicht, warum")."""
    sent = sentence_of(doc, hit)
    lo = hit.start
    while lo > max(sent.start, hit.start - before) and not _clause_break(doc[lo - 1]):
        lo -= 1
    hi = hit.end
    while hi < min(sent.end, hit.end + after) and not _clause_break(doc[hi]):
        hi += 1
    return any(doc[i].norm_ in cues and not (hit.start <= i < hit.end and doc[i].norm_ in literal)
               for i in range(lo, hi))


def _clause_break(token) -> bool:
    """Negation does not reach across a comma or dash: "it isn't working, that's frustrating"."""
    return token.text in {",", ";", ":", "—", "–", "-", "(", ")"}


def is_question(doc: Doc, hit: Hit) -> bool:
    """The match stands in the question itself: its sentence ends with "?" and no clause
    break comes between the match and that end ("oh no, that's annoying, what's your order
    number?" asks only in its last clause)."""
    sent = sentence_of(doc, hit)
    if "?" not in sent.text.rstrip()[-3:]:
        return False
    return not any(_clause_break(doc[i]) for i in range(hit.end, sent.end - 1))


def same_sentence(doc: Doc, a: Hit, b: Hit) -> bool:
    return doc[a.start].sent.start == doc[b.start].sent.start


def overlaps(a: Hit, b: Hit) -> bool:
    return a.start < b.end and b.start < a.end


def passes_guards(rule: Rule, am: AnalyzedMessage, hit: Hit, compiled: CompiledRubric) -> str | None:
    """None when the hit stands; otherwise the name of the guard that dropped it."""
    if "not_negated" in rule.guards and is_negated(am.doc, hit, compiled.negation,
                                                   compiled.literal_words(hit)):
        return "not_negated"
    if "not_question" in rule.guards and is_question(am.doc, hit):
        return "not_question"
    for exc in am.hits_for(rule, "exceptions"):
        if same_sentence(am.doc, hit, exc):
            return "exception"
    return None


def make_finding(conv: AnalyzedConversation, am: AnalyzedMessage, rule: Rule, check: str,
                 start: int, end: int, details: dict, severity: str | None = None) -> Finding:
    """A finding quoting message characters start..end, with the rule's suggestion in the
    conversation's language."""
    return Finding(
        conversation_id=conv.conversation.id,
        message_index=am.message.index,
        check=check,
        rule=rule.id,
        polarity=POLARITY[check],
        severity=severity or rule.severity,
        start=start,
        end=end,
        evidence=am.message.text[start:end],
        suggestion=rule.suggestion.get(conv.language) or rule.suggestion.get("en", ""),
        details=details,
    )


def finding_from_hits(conv: AnalyzedConversation, am: AnalyzedMessage, rule: Rule, check: str,
                      first: Hit, last: Hit | None = None, details: dict | None = None,
                      severity: str | None = None) -> Finding:
    """A finding whose evidence is the text from the first hit to the last one."""
    last = last or first
    doc = am.doc
    start_tok, end_tok = min(first.start, last.start), max(first.end, last.end)
    final = doc[end_tok - 1]
    start_char = am.original_offset(doc[start_tok].idx)
    end_char = am.original_offset(final.idx + len(final.text) - 1) + 1
    info = {"pattern": conv.compiled.pattern_text.get((first.rule, first.set, first.pattern), "")}
    info.update(details or {})
    return make_finding(conv, am, rule, check, start_char, end_char, info, severity)


def whole_message_finding(conv: AnalyzedConversation, am: AnalyzedMessage, rule: Rule, check: str,
                          details: dict, severity: str | None = None) -> Finding:
    """A finding about the whole message (missed empathy, an interrupting reply)."""
    text = am.message.text
    stripped = text.strip()
    start = text.find(stripped) if stripped else 0
    return make_finding(conv, am, rule, check, start, start + len(stripped), details, severity)
