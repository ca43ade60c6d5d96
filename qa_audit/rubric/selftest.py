"""`qa-audit rubric test`: run every rule's own examples through the real pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..audit import Auditor
from ..model import Conversation, Message
from .schema import Example, Rubric, Rule


@dataclass
class Outcome:
    rule: Rule
    language: str
    kind: str  # match | no_match
    example: Example
    ok: bool
    why: str = ""

    def describe(self) -> str:
        what = self.example.text if self.example.text is not None else " / ".join(
            f"{m.get('role', 'agent')}: {m['text']}" for m in self.example.messages or [])
        status = "ok  " if self.ok else "FAIL"
        return (f"{status} {self.rule.id} [{self.language}] {self.kind}: \"{what}\""
                + ("" if self.ok else f"\n     {self.rule.file}:{self.example.line or self.rule.line}: {self.why}"))


@dataclass
class SelftestReport:
    outcomes: list[Outcome] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # rules without examples

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if not o.ok) + len(self.missing)

    def lines(self, verbose: bool = False) -> list[str]:
        out = [o.describe() for o in self.outcomes if verbose or not o.ok]
        out += [f"FAIL {m}" for m in self.missing]
        passed = sum(1 for o in self.outcomes if o.ok)
        out.append(f"{passed} passed, {self.failed} failed")
        return out


def _conversation(example: Example, language: str, n: int) -> tuple[Conversation, list[int]]:
    """A one-message agent conversation for a sentence; the given messages for a case."""
    if example.messages is None:
        msgs = [Message(index=0, role="agent", text=example.text or "", author="Agent")]
        return Conversation(id=f"example-{n}", messages=msgs, language=language), [0]
    msgs = [Message(index=i, role=m.get("role", "agent"), text=m["text"], author=m.get("role", ""),
                    start=m.get("start"), end=m.get("end")) for i, m in enumerate(example.messages)]
    return Conversation(id=f"example-{n}", messages=msgs, language=language, channel="call" if any(
        m.start is not None for m in msgs) else "chat"), list(example.expect or [])


def run_selftest(rubric: Rubric) -> SelftestReport:
    report = SelftestReport()
    auditor = Auditor(rubric)
    n = 0
    for rule in rubric.rules:
        for lang in rubric.languages:
            if not rule.match.get(lang) or not rule.no_match.get(lang):
                report.missing.append(f"{rule.id} [{lang}]: needs both 'match' and 'no_match' examples "
                                      f"({rule.file}:{rule.line})")
        for kind, by_lang in (("match", rule.match), ("no_match", rule.no_match)):
            for lang, examples in sorted(by_lang.items()):
                for ex in examples:
                    n += 1
                    conv, expected = _conversation(ex, lang, n)
                    findings = auditor.find(auditor.analyze_texts(conv))
                    checks = [ex.check] if ex.check else rule.checks
                    if kind == "match":
                        fired = sorted({f.message_index for f in findings if f.check in checks and (
                            f.rule == rule.id or rule.id in f.details.get("also_rules", []))})
                        ok = fired == sorted(expected) if ex.messages is not None else bool(fired)
                        why = (f"expected {'/'.join(checks)} on message(s) {expected}, got {fired or 'nothing'}"
                               if not ok else "")
                        if not ok:
                            others = sorted({f"{f.check} ({f.rule})" for f in findings})
                            why += f"; findings: {', '.join(others) or 'none'}"
                    else:
                        bad = [f for f in findings if f.check in checks]
                        ok = not bad
                        why = "" if ok else "fired: " + "; ".join(
                            f"{f.check} by {f.rule} on \"{f.evidence}\" (pattern: {f.details.get('pattern', '')})" for f in bad)
                    report.outcomes.append(Outcome(rule, lang, kind, ex, ok, why))
    return report
