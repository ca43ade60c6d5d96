"""The audit: analyse conversations with spaCy in batches, run every rule, score the result."""

from __future__ import annotations

from itertools import islice
from typing import Callable, Iterable, Iterator

from .checks.context import AnalyzedConversation, AnalyzedMessage
from .checks.interruption import run_interruption
from .checks.missed_empathy import run_missed_empathy
from .checks.phrase import run_phrase
from .checks.promise import run_promise
from .errors import QaAuditError
from .model import Conversation, ConversationResult, Finding
from .nlp import detect_language, get_pipeline, normalize_space
from .rubric.compile import CompiledRubric
from .rubric.schema import Rubric
from .scoring import Mark, score_conversation

BATCH_CONVERSATIONS = 64
RUNNERS = {"phrase": run_phrase, "promise": run_promise, "interruption": run_interruption}


Skip = Callable[[Conversation, str], None]


class Auditor:
    """Holds the pipelines and compiled matchers (built once per language) for one rubric."""

    def __init__(self, rubric: Rubric, language: str | None = None, model: str | None = None,
                 batch_size: int = BATCH_CONVERSATIONS):
        self.rubric = rubric
        self.language = language
        self.batch_size = batch_size
        self._compiled: dict[str, CompiledRubric] = {}
        # a named trained pipeline is loaded now, so a missing one is reported before any output
        self._model_nlp = get_pipeline(None, model) if model else None

    def prepare(self) -> "Auditor":
        """Compile every language of the rubric now: a broken pattern stops the run before it
        writes anything, whatever languages the input turns out to have."""
        for language in self.rubric.languages:
            self.compiled(language)
        return self

    def compiled(self, language: str) -> CompiledRubric:
        if language not in self._compiled:
            model = self._model_nlp if self._model_nlp is not None and self._model_nlp.lang == language else None
            nlp = model or get_pipeline(language)
            self._compiled[language] = CompiledRubric(self.rubric, nlp, language)
        return self._compiled[language]

    def language_of(self, conv: Conversation) -> str:
        if self.language:
            return self.language
        if conv.language:
            return conv.language
        return detect_language(" ".join(m.text for m in conv.messages[:20]))

    # -- the audit ------------------------------------------------------------------------
    def audit(self, conversations: Iterable[Conversation], on_skip: Skip | None = None) -> Iterator[ConversationResult]:
        """Stream results in input order; conversations are analysed in batches. A conversation
        that cannot be audited (a language the rubric lacks, a failure on odd input) is passed
        to on_skip with the reason, and the rest go on."""
        it = iter(conversations)
        while batch := list(islice(it, self.batch_size)):
            yield from self._audit_batch(batch, on_skip)

    def _audit_batch(self, batch: list[Conversation], on_skip: Skip | None) -> Iterator[ConversationResult]:
        def skip(conv: Conversation, reason: str) -> None:
            if on_skip is None:
                raise QaAuditError(f"conversation {conv.id}: {reason}")
            on_skip(conv, reason)

        auditable = []
        for conv in batch:
            language = self.language_of(conv)
            if language not in self.rubric.languages:
                skip(conv, f"its language '{language}' is not one of the rubric's ({', '.join(self.rubric.languages)})")
            else:
                auditable.append(conv)
        try:
            analyzed = self._analyze_batch(auditable)
        except QaAuditError:
            raise
        except Exception:  # noqa: BLE001 — find the conversation that fails, audit the others
            analyzed = []
            for conv in auditable:
                try:
                    analyzed.extend(self._analyze_batch([conv]))
                except QaAuditError:
                    raise
                except Exception as exc:  # noqa: BLE001
                    skip(conv, f"could not be analysed ({type(exc).__name__}: {exc})")
        for conv in analyzed:
            try:
                yield self.judge(conv)
            except QaAuditError:
                raise
            except Exception as exc:  # noqa: BLE001
                skip(conv.conversation, f"could not be audited ({type(exc).__name__}: {exc})")

    def analyze_texts(self, conv: Conversation) -> AnalyzedConversation:
        """Analyse one conversation on its own (rule self-tests, small inputs)."""
        return self._analyze_batch([conv])[0]

    def _analyze_batch(self, batch: list[Conversation]) -> list[AnalyzedConversation]:
        """spaCy over every message of the batch, one nlp.pipe per language, then the matchers."""
        langs = [self.language_of(c) for c in batch]
        spaced = [[normalize_space(m.text) for m in conv.messages] for conv in batch]
        docs: dict[int, list] = {}
        for lang in sorted(set(langs)):
            idx = [i for i, l in enumerate(langs) if l == lang]
            it = self.compiled(lang).nlp.pipe((text for i in idx for text, _ in spaced[i]), batch_size=256)
            for i in idx:
                docs[i] = [next(it) for _ in batch[i].messages]
        out = []
        for i, conv in enumerate(batch):
            compiled = self.compiled(langs[i])
            out.append(AnalyzedConversation(conv, langs[i], [
                AnalyzedMessage(m, d, compiled.match(d), cmap)
                for m, d, (_, cmap) in zip(conv.messages, docs[i], spaced[i])
            ], compiled))
        return out

    def find(self, conv: AnalyzedConversation) -> list[Finding]:
        """Every rule over one analysed conversation, in a fixed order."""
        findings: list[Finding] = []
        for rule in self.rubric.rules:
            runner = RUNNERS.get(rule.kind)
            if runner:
                findings.extend(runner(rule, conv))
        findings = _apply_yields(self.rubric, findings)
        for rule in self.rubric.rules:
            if rule.kind == "missed_empathy":
                empathic = {f.message_index for f in findings if f.check == rule.params["empathy_check"]}
                findings.extend(run_missed_empathy(rule, conv, empathic))
        return _one_per_message_and_check(findings)

    def judge(self, conv: AnalyzedConversation) -> ConversationResult:
        findings = self.find(conv)
        marks = [Mark(f.message_index, f.check) for f in findings]
        criteria, score, auto_failed = score_conversation(
            conv.conversation.id, self.rubric.criteria, marks, bool(conv.signals.get("customer_upset")))
        return ConversationResult(conv.conversation, conv.language, findings, criteria, score, auto_failed,
                                  dict(conv.signals))


def _apply_yields(rubric: Rubric, findings: list[Finding]) -> list[Finding]:
    """Drop a finding whose rule yields to a check that fired on an overlapping span."""
    yields = {r.id: set(r.yields_to) for r in rubric.rules if r.yields_to}
    if not yields:
        return findings
    kept = []
    for f in findings:
        stronger = yields.get(f.rule, set())
        if any(o is not f and o.check in stronger and o.message_index == f.message_index
               and o.start < f.end and f.start < o.end for o in findings):
            continue
        kept.append(f)
    return kept


def _one_per_message_and_check(findings: list[Finding]) -> list[Finding]:
    """One finding per message and check (the earliest span); other rules that agreed are noted."""
    best: dict[tuple[int, str], Finding] = {}
    for f in findings:
        key = (f.message_index, f.check)
        if key not in best:
            best[key] = f
            continue
        keep, other = (f, best[key]) if (f.start, f.rule) < (best[key].start, best[key].rule) else (best[key], f)
        keep.details.setdefault("also_rules", [])
        if other.rule not in keep.details["also_rules"] and other.rule != keep.rule:
            keep.details["also_rules"].append(other.rule)
        best[key] = keep
    return [best[k] for k in sorted(best, key=lambda k: (k[0], k[1]))]
