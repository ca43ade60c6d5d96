"""`missed_empathy` rules: the customer is upset, and the agent's next substantive reply
shows no empathy. Upset = an upset phrase, or intensity ("!!", words in capitals, "???")."""

from __future__ import annotations

import re

from ..model import Finding
from ..rubric.schema import Rule
from .context import AnalyzedConversation, AnalyzedMessage, passes_guards, whole_message_finding
from .interruption import is_backchannel

_CAPS_WORD = re.compile(r"\b[A-ZÄÖÜ]{3,}\b")
_ACRONYMS = {"SMS", "PIN", "IBAN", "BIC", "USB", "DHL", "UPS", "GLS", "DPD", "URL", "PDF", "FAQ",
             "AGB", "EUR", "USD", "GBP", "ID", "TV", "DSL", "LTE", "SIM", "ASAP", "API", "CEO",
             "VPN", "WLAN", "WIFI", "DVD", "CD", "GPS", "APP", "IOS", "PC", "OK", "OKAY"}


def upset_reason(rule: Rule, conv: AnalyzedConversation, am: AnalyzedMessage) -> str | None:
    """Why this customer message counts as upset, or None. Upset wording and sarcasm always
    count; intensity ("!!", "??", capitals) only in a message with nothing friendly in it."""
    for hit in am.hits_for(rule, "upset"):
        if passes_guards(rule, am, hit, conv.compiled) is None:
            return f"upset wording: \"{am.doc[hit.start:hit.end].text}\""
    for hit in am.hits_for(rule, "sarcasm"):
        sent = am.doc[hit.start].sent
        alone = all(t.is_punct or hit.start <= t.i < hit.end for t in sent)
        before = am.doc[:sent.start]
        elsewhere = [t for t in am.doc if not (sent.start <= t.i < sent.end)]
        # "…password?? Brilliant." or "Toll. Jetzt läuft kein Film mehr" — not "Brilliant. Do I…?"
        if alone and ("?" in before.text or any(t.norm_ in conv.compiled.negation for t in elsewhere)):
            return f"sarcasm: \"{sent.text.strip()}\""
    if am.hits_for(rule, "not_upset"):  # "They're back!! Oh my god, thank you"
        return None
    text = am.doc.text
    p = rule.params
    if text.count("!") >= p["min_exclamations"]:
        return "exclamation marks"
    if "!" in text and any(passes_guards(rule, am, h, conv.compiled) is None for h in am.hits_for(rule, "pointed")):
        return "an exclamation aimed at the company (\"you…!\")"
    if re.search(r"\?{%d,}" % p["min_question_marks"], text.replace(" ", "")):
        return "repeated question marks"
    caps = [w for w in _CAPS_WORD.findall(text) if w not in _ACRONYMS]
    if len(caps) >= p["min_caps_words"]:
        return f"shouting in capitals: {' '.join(caps[:3])}"
    return None


def _pushes_back(rule: Rule, conv: AnalyzedConversation, am: AnalyzedMessage) -> bool:
    """A follow-up that insists or objects ("Can't you just look into it?", "Bald reicht mir
    nicht.") rather than answering a question or thanking."""
    if any(passes_guards(rule, am, h, conv.compiled) is None for h in am.hits_for(rule, "not_upset")):
        return False
    return any(t.norm_ in conv.compiled.negation for t in am.doc)


def run_missed_empathy(rule: Rule, conv: AnalyzedConversation, empathic: set[int]) -> list[Finding]:
    """`empathic` holds the indexes of agent messages that have an empathy finding."""
    findings: list[Finding] = []
    msgs = conv.messages
    upset_any = False
    unanswered = False  # an upset message got a reply without empathy, and none came since
    flagged: set[int] = set()
    for i, am in enumerate(msgs):
        if am.role == "agent" and am.message.index in empathic:
            unanswered = False
        if am.role != "customer":
            continue
        reason = upset_reason(rule, conv, am)
        if not reason and unanswered and rule.params["carry_over"] and _pushes_back(rule, conv, am):
            reason = "still upset: pushes back after a reply without empathy"
        if not reason:
            continue
        upset_any = True
        reply = next((m for m in msgs[i + 1:] if m.role == "agent" and m.message.text.strip()
                      and not is_backchannel(rule, m)), None)
        if reply is None:
            continue
        # the customer may go on in several messages before the reply: judge the reply once
        if reply.message.index in flagged or reply.message.index in empathic:
            continue
        flagged.add(reply.message.index)
        unanswered = True
        findings.append(whole_message_finding(conv, reply, rule, rule.check, {
            "customer_message": am.message.index,
            "upset_because": reason,
            "customer_text": am.message.text[:300],
        }))
    conv.signals["customer_upset"] = conv.signals.get("customer_upset", False) or upset_any
    return findings
