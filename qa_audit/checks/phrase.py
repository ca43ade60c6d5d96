"""`phrase` rules: a pattern found in a message of the right speaker, guards permitting."""

from __future__ import annotations

from ..model import Finding
from ..rubric.schema import Rule
from .context import AnalyzedConversation, finding_from_hits, passes_guards, speaker_ok


def run_phrase(rule: Rule, conv: AnalyzedConversation) -> list[Finding]:
    findings: list[Finding] = []
    for am in conv.messages:
        if not speaker_ok(rule, am.message):
            continue
        kept = [h for h in am.hits_for(rule, "patterns") if passes_guards(rule, am, h, conv.compiled) is None]
        if kept:
            # one finding per message and rule: the longest of the earliest hits is the evidence
            first = min(kept, key=lambda h: (h.start, -(h.end - h.start)))
            also = sorted({conv.compiled.pattern_text[(h.rule, h.set, h.pattern)] for h in kept} - {
                conv.compiled.pattern_text[(first.rule, first.set, first.pattern)]})
            details = {"also_matched": also} if also else {}
            findings.append(finding_from_hits(conv, am, rule, rule.check, first, details=details))
    return findings
