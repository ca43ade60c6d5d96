"""`promise` rules: a commitment plus a specific time is `promised_timeline`; a commitment
with a vague or no time is `vague_promise` (one promise per message, LABELING.md)."""

from __future__ import annotations

from ..model import Finding
from ..rubric.compile import Hit
from ..rubric.schema import Rule
from .context import (AnalyzedConversation, AnalyzedMessage, finding_from_hits, overlaps,
                      passes_guards, speaker_ok)
from .due_dates import resolve_due_date


def _text(am: AnalyzedMessage, hit: Hit) -> str:
    return am.doc[hit.start:hit.end].text


def _sent_index(am: AnalyzedMessage, token: int) -> int:
    return am.doc[token].sent.start


_CLAUSE_WORDS = {",", ";", ":", "—", "–", "and", "und", "but", "aber", "then", "dann", "so", "also"}


def _next_sentence(am: AnalyzedMessage, token: int) -> int:
    """Start token of the sentence after the one holding `token` (-1 when there is none)."""
    end = am.doc[token].sent.end
    return end if end < len(am.doc) else -1


def _same_clause(am: AnalyzedMessage, a: Hit, b: Hit) -> bool:
    """Two hits with no clause break or joining word between them, in one sentence."""
    if _sent_index(am, a.start) != _sent_index(am, b.start):
        return False
    lo, hi = (a.end, b.start) if a.start <= b.start else (b.end, a.start)
    # the later hit's first word counts too: "… jetzt an und kläre …" starts a new clause
    return not any(am.doc[i].norm_ in _CLAUSE_WORDS for i in range(lo, min(hi + 1, len(am.doc))))


_JOINS = {"and", "und", "but", "aber", "so", "also", ";", "."}


def _governs(am: AnalyzedMessage, phrase: Hit, time: Hit, reach: int = 10) -> bool:
    """The time follows the not-a-time phrase closely, with no joining word between."""
    if not 0 <= time.start - phrase.end <= reach:
        return False
    return not any(am.doc[i].norm_ in _JOINS for i in range(phrase.end, time.start))


def run_promise(rule: Rule, conv: AnalyzedConversation) -> list[Finding]:
    findings: list[Finding] = []
    for am in conv.messages:
        if not speaker_ok(rule, am.message):
            continue
        # "Please send us your account name. We will then check it." — what waits on the
        # customer's own step is an instruction, also across two sentences
        instructed = {_next_sentence(am, h.start) for h in am.hits_for(rule, "instruction")}

        def kept(set_name: str) -> list[Hit]:
            return [h for h in am.hits_for(rule, set_name) if passes_guards(rule, am, h, conv.compiled) is None
                    and _sent_index(am, h.start) not in instructed]

        commitments = kept("commitment") + kept("timeless_commitment")
        timed_only = kept("timed_commitment")  # commitments only when a time is near ("Ich schicke …")
        if not commitments and not timed_only:
            continue
        not_times = am.hits_for(rule, "not_a_time")
        # "valid until 31 March", "open from 9:30 am to 4 pm, Monday to Friday": times over or
        # after a not-a-time phrase, up to the next "and"/"but", belong to it
        times = [h for h in am.hits_for(rule, "specific_time")
                 if not any(overlaps(h, n) or _governs(am, n, h) for n in not_times)]
        vague_times = am.hits_for(rule, "vague_time")
        immediate = am.hits_for(rule, "immediate")
        sents = [s.start for s in am.doc.sents]

        def near(c: Hit, t: Hit) -> bool:  # the time is in the commitment's sentence or the next one
            cs, ts = _sent_index(am, c.start), _sent_index(am, t.start)
            return ts == cs or (ts in sents and cs in sents and sents.index(ts) == sents.index(cs) + 1)

        # a commitment about something done now ("I'm transferring you now") is no promise;
        # "now" counts for the clause it stands in ("Ich lege jetzt … an und kläre …" still promises)
        def is_now(c: Hit) -> bool:
            if any(_sent_index(am, t.start) == _sent_index(am, c.start) for t in times):
                return False
            return any(_same_clause(am, c, i) for i in immediate)

        commitments = [c for c in commitments if not is_now(c)]
        commitments += [c for c in timed_only if not is_now(c) and any(near(c, t) for t in times + vague_times)]
        commitments.sort(key=lambda h: (h.start, h.end))
        if not commitments:
            continue
        pairs = [(c, t) for c in commitments for t in times if near(c, t)]
        reference = am.message.timestamp or conv.conversation.started_at
        if pairs:
            c, t = min(pairs, key=lambda p: (p[1].start, p[0].start))
            expression = _text(am, t)
            due = resolve_due_date(expression, reference)
            details = {"commitment": _text(am, c), "time_expression": expression,
                       "due_date": due.isoformat() if due else None}
            findings.append(finding_from_hits(conv, am, rule, rule.check, c, t, details))
        else:
            c = commitments[0]
            vague = [v for v in vague_times if near(c, v)]
            details = {"commitment": _text(am, c), "time_expression": _text(am, vague[0]) if vague else None,
                       "due_date": None}
            findings.append(finding_from_hits(conv, am, rule, rule.params["vague_check"], c,
                                              vague[0] if vague else None, details, severity="minor"))
    return findings
