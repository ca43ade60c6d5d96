"""`interruption` rules: timed overlaps (not backchannels), cut-off customer messages answered
at once, and customer complaints about being cut off."""

from __future__ import annotations

from ..model import Finding
from ..rubric.schema import Rule
from .context import AnalyzedConversation, AnalyzedMessage, passes_guards, whole_message_finding


def _content_tokens(am: AnalyzedMessage) -> int:
    return sum(1 for t in am.doc if not (t.is_punct or t.is_space))


def is_backchannel(rule: Rule, am: AnalyzedMessage) -> bool:
    """At most a few words that only acknowledge or yield the turn ("mhm", "go ahead")."""
    return _content_tokens(am) <= rule.params["max_backchannel_tokens"] and bool(am.hits_for(rule, "backchannel"))


def _cut_off(rule: Rule, conv: AnalyzedConversation, am: AnalyzedMessage) -> str | None:
    text = am.message.text.rstrip()
    for hit in am.hits_for(rule, "cutoff_marker"):
        return am.doc[hit.start:hit.end].text
    if text.endswith(("--", "—", "–")):
        return text[-2:] if text.endswith("--") else text[-1]
    if text.endswith("-") and len(text) > 1 and text[-2].isalpha():
        return "trailing hyphen"
    if text.endswith(("…", "...")):
        # trailing dots are often style; they mark a cut-off after a word that cannot end a
        # thought ("and…", "because…", "dass…")
        words = [t for t in am.doc if not (t.is_punct or t.is_space)]
        if words and any(h.end == words[-1].i + 1 for h in am.hits_for(rule, "dangling_word")):
            return f"\"{words[-1].text}…\""
    return None


def run_interruption(rule: Rule, conv: AnalyzedConversation) -> list[Finding]:
    msgs = conv.messages
    out: dict[int, Finding] = {}
    min_overlap = rule.params["min_overlap"]
    timed = conv.conversation.is_timed
    for i, am in enumerate(msgs):
        if am.role != "agent":
            continue
        m = am.message
        if timed and m.start is not None:
            # the customer utterance still running when the agent starts
            for prev in reversed(msgs[:i]):
                p = prev.message
                if prev.role != "customer" or p.start is None or p.end is None:
                    continue
                if p.start <= m.start and p.end - m.start >= min_overlap and not is_backchannel(rule, am):
                    out[m.index] = whole_message_finding(conv, am, rule, rule.check, {
                        "customer_message": p.index, "overlap_seconds": round(min(p.end, m.end or p.end) - m.start, 2),
                        "how": "timed overlap"})
                break
            continue
        # untimed: the customer message just before ends cut off
        if i > 0 and msgs[i - 1].role == "customer" and not is_backchannel(rule, am):
            marker = _cut_off(rule, conv, msgs[i - 1])
            if marker:
                prev_ts, ts = msgs[i - 1].message.timestamp, m.timestamp
                comparable = prev_ts and ts and (prev_ts.tzinfo is None) == (ts.tzinfo is None)
                gap = (ts - prev_ts).total_seconds() if comparable else None
                # a 0 s gap is an export artefact (copied timestamp), not speed: judge by the marker
                if gap is None or 0 <= gap < rule.params["chat_max_gap"]:
                    out[m.index] = whole_message_finding(conv, am, rule, rule.check, {
                        "customer_message": i - 1, "cut_off_marker": marker, "reply_after_seconds": gap,
                        "how": "cut-off customer message"})
    # a customer complaint about being cut off labels the agent message just before it
    for i, am in enumerate(msgs):
        if am.role != "customer":
            continue
        hits = [h for h in am.hits_for(rule, "complaint") if passes_guards(rule, am, h, conv.compiled) is None]
        if not hits:
            continue
        before = next((x for x in reversed(msgs[:i]) if x.role == "agent"), None)
        if before is not None and before.message.index not in out:
            out[before.message.index] = whole_message_finding(conv, before, rule, rule.check, {
                "customer_message": i, "complaint": am.doc[hits[0].start:hits[0].end].text,
                "how": "customer complained of being cut off"})
    _compare_with_source(conv, out)
    return [out[k] for k in sorted(out)]


def _compare_with_source(conv: AnalyzedConversation, out: dict[int, Finding]) -> None:
    """Where the export carries its own interruption records (Contact Lens), note on each of
    our findings whether the source agrees, and count agreement for the manifest."""
    records = conv.conversation.metadata.get("source_interruptions")
    if not isinstance(records, list):
        return
    agent_records = [r for r in records if isinstance(r, dict) and r.get("interrupter") == "agent"]
    by_message = {r["message_index"]: r for r in agent_records if isinstance(r.get("message_index"), int)}
    for index, finding in out.items():
        finding.details["source_agrees"] = index in by_message
        if index in by_message:
            finding.details["source_interruption"] = by_message[index]
    conv.signals["source_interruptions"] = {
        "records": len(agent_records),
        "agreed": sum(1 for i in by_message if i in out),
        "only_in_source": sorted(i for i in by_message if i not in out),
        "only_ours": sorted(i for i in out if i not in by_message),
    }
