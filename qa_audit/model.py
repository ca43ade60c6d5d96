"""The data model every module speaks: conversations in, findings and scores out."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

ROLES = ("agent", "customer", "system", "bot")
POLARITIES = ("positive", "negative")


@dataclass(frozen=True)
class Source:
    """Where a record came from: a file and a position inside it (line, row, entry)."""

    file: str
    position: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.position}" if self.position else self.file


@dataclass
class Message:
    index: int
    role: str  # agent | customer | system | bot
    text: str
    author: str = ""
    timestamp: datetime | None = None
    start: float | None = None  # seconds from call start (timed transcripts)
    end: float | None = None
    labels: list[str] = field(default_factory=list)  # gold labels, when present
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class Conversation:
    id: str
    messages: list[Message]
    channel: str = "chat"
    language: str | None = None  # en | de | None = detect
    agent: str = ""
    started_at: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    source: Source | None = None

    @property
    def is_timed(self) -> bool:
        return any(m.start is not None and m.end is not None for m in self.messages)


@dataclass
class Rejection:
    """An input record that could not be audited, where it was, and why."""

    source: Source
    reason: str
    record_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.source.file,
            "position": self.source.position,
            "id": self.record_id,
            "reason": self.reason,
        }


@dataclass
class Finding:
    conversation_id: str
    message_index: int
    check: str  # a check id from LABELING.md
    rule: str  # the rubric rule that fired
    polarity: str  # positive | negative
    severity: str  # info | minor | major | critical
    start: int  # character offsets in the message text
    end: int
    evidence: str
    suggestion: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CriterionResult:
    conversation_id: str
    criterion: str
    outcome: str  # pass | fail | na
    weight: float
    auto_fail: bool = False  # this criterion failed and is an auto-fail criterion
    reason: str = ""


@dataclass
class ConversationResult:
    """Everything the audit decided about one conversation."""

    conversation: Conversation
    language: str
    findings: list[Finding]
    criteria: list[CriterionResult]
    score: float | None  # 0..100, None when no criterion applied
    auto_failed: bool = False
    signals: dict[str, Any] = field(default_factory=dict)  # e.g. customer_upset
