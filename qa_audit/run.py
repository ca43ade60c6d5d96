"""One audit run: ingest → audit → machine outputs written as results stream in → reports."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

from . import __version__
from .audit import Auditor
from .ingest import IngestStats, iter_conversations
from .ingest.base import IngestOptions
from .errors import QaAuditError
from .model import Conversation, ConversationResult, Finding, Rejection, Source
from .report.machine import MachineWriter
from .rubric.schema import Rubric

CONTEXT_BEFORE = 2  # messages kept before a finding's message, for the coaching pages
CONTEXT_AFTER = 1


@dataclass
class ConversationSummary:
    """What the reports need of a conversation, without keeping every message in memory."""

    id: str
    agent: str
    channel: str
    language: str
    started_at: datetime | None
    source: str
    messages: int
    score: float | None
    auto_failed: bool
    outcomes: dict[str, str]  # criterion id -> pass | fail | na
    reasons: dict[str, str]  # criterion id -> why it failed / was n/a
    customer_upset: bool = False


@dataclass
class RunData:
    """Everything the report writers read. They never recompute a score."""

    rubric: Rubric
    conversations: list[ConversationSummary] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    # (conversation id, message index) -> the finding's message with a little context
    contexts: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)
    title: str = "qa-audit report"


def _message_dict(conv: Conversation, i: int) -> dict[str, Any]:
    m = conv.messages[i]
    return {"index": m.index, "role": m.role, "author": m.author, "text": m.text,
            "timestamp": m.timestamp, "start": m.start, "end": m.end}


def summarize(result: ConversationResult, customer_upset: bool = False) -> ConversationSummary:
    conv = result.conversation
    return ConversationSummary(
        id=conv.id, agent=conv.agent, channel=conv.channel, language=result.language,
        started_at=conv.started_at or next((m.timestamp for m in conv.messages if m.timestamp), None),
        source=str(conv.source) if conv.source else "", messages=len(conv.messages),
        score=result.score, auto_failed=result.auto_failed,
        outcomes={c.criterion: c.outcome for c in result.criteria},
        reasons={c.criterion: c.reason for c in result.criteria if c.reason},
        customer_upset=customer_upset,
    )


def run_audit(
    inputs: Iterable[str | Path],
    out_dir: Path,
    rubric: Rubric,
    options: IngestOptions,
    model: str | None = None,
    formats: set[str] | None = None,
    on_progress: Callable[[int], None] | None = None,
    on_rejection: Callable[[Rejection], None] | None = None,
    title: str | None = None,
    split_by_agent: bool = False,
) -> RunData:
    """Audit every input and write the output folder. Returns what the reports were built from."""
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    formats = formats or {"jsonl", "csv", "xlsx", "html"}
    if out_dir.exists() and not out_dir.is_dir():
        raise QaAuditError(f"Output folder '{out_dir}' is a file.")
    out_dir.mkdir(parents=True, exist_ok=True)
    stats = IngestStats()
    auditor = Auditor(rubric, language=options.language, model=model).prepare()
    skipped: list[Rejection] = []
    data = RunData(rubric=rubric, title=title or "qa-audit report")
    languages: dict[str, int] = {}
    source_cmp = {"conversations": 0, "records": 0, "agreed": 0, "only_in_source": 0, "only_ours": 0}

    with MachineWriter(out_dir, rubric, formats) as writer:
        def conversations():
            for item in iter_conversations(inputs, options, stats):
                if isinstance(item, Rejection):
                    data.rejections.append(item)
                    writer.rejection(item)
                    if on_rejection:
                        on_rejection(item)
                else:
                    yield item

        t_audit = time.perf_counter()
        def skip(conv: Conversation, reason: str) -> None:  # could not be audited after all
            rejection = Rejection(conv.source or Source("?"), f"conversation {conv.id} {reason}", conv.id)
            skipped.append(rejection)
            data.rejections.append(rejection)
            writer.rejection(rejection)
            if on_rejection:
                on_rejection(rejection)

        for n, result in enumerate(auditor.audit(conversations(), on_skip=skip), start=1):
            conv = result.conversation
            summary = summarize(result, customer_upset=bool(result.signals.get("customer_upset")))
            data.conversations.append(summary)
            data.findings.extend(result.findings)
            for f in result.findings:
                lo, hi = max(0, f.message_index - CONTEXT_BEFORE), min(len(conv.messages), f.message_index + CONTEXT_AFTER + 1)
                data.contexts.setdefault((conv.id, f.message_index), [_message_dict(conv, i) for i in range(lo, hi)])
            languages[result.language] = languages.get(result.language, 0) + 1
            cmp = result.signals.get("source_interruptions")
            if cmp:
                source_cmp["conversations"] += 1
                source_cmp["records"] += cmp["records"]
                source_cmp["agreed"] += cmp["agreed"]
                source_cmp["only_in_source"] += len(cmp["only_in_source"])
                source_cmp["only_ours"] += len(cmp["only_ours"])
            writer.result(result, summary)
            if on_progress:
                on_progress(n)
        audit_seconds = time.perf_counter() - t_audit

        counts: dict[str, int] = {}
        for f in data.findings:
            counts[f.check] = counts.get(f.check, 0) + 1
        scores = [c.score for c in data.conversations if c.score is not None]
        data.manifest = {
            "tool": "qa-audit",
            "version": __version__,
            "started_at": started.isoformat(timespec="seconds"),
            "rubric": {"id": rubric.id, "name": rubric.name, "version": rubric.version,
                       "sha256": rubric.sha256, "files": rubric.files},
            "inputs": stats.files,
            "formats": dict(sorted(stats.formats.items())),
            "counts": {
                "read": stats.conversations + stats.rejected,
                "audited": len(data.conversations),
                "rejected": stats.rejected + len(skipped),
                "messages": stats.messages,
                "unknown_role_messages": stats.unknown_roles,
                "findings": len(data.findings),
                "findings_by_check": dict(sorted(counts.items())),
                "languages": dict(sorted(languages.items())),
            },
            # agent interruptions recorded by the export itself (Contact Lens) against ours
            "source_interruptions": source_cmp if source_cmp["conversations"] else None,
            "mean_score": round(sum(scores) / len(scores), 1) if scores else None,
            "options": {"language": options.language, "input_format": options.input_format,
                        "model": model, "formats": sorted(formats)},
            "timings_seconds": {"audit": round(audit_seconds, 3)},
        }
    t_reports = time.perf_counter()
    from .report import write_reports
    write_reports(out_dir, data, formats, split_by_agent=split_by_agent)
    data.manifest["timings_seconds"]["reports"] = round(time.perf_counter() - t_reports, 3)
    data.manifest["timings_seconds"]["total"] = round(time.perf_counter() - t0, 3)
    data.manifest["outputs"] = sorted(p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file())
    MachineWriter.write_manifest(out_dir, data.manifest)
    return data
