"""Plain-text transcripts, one conversation per file.

    # channel: call                      <- optional header lines at the top: "# key: value"
    # language: de
    # agent: Anna Weber
    [00:00:03] Mitarbeiterin: Guten Tag, Sie sprechen mit Anna Weber.
    [00:00:07] Kunde: Mein Paket ist immer noch nicht da!
    Ich warte seit zwei Wochen.          <- a continuation line joins the message above
    Anna Weber (Agent): Das tut mir leid …

A line starts a message when its label (before the colon) names a role ("Agent", "Kunde",
"Mitarbeiterin", …), carries one in parentheses ("Anna (Agent)", "Agent (Anna)"), was given a
role by the header ("# agent: Anna Weber") or --roles, or follows a time stamp. Anything else
("Hinweis: …") continues the previous message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..errors import RecordError
from ..model import Conversation, Message, Rejection, Source
from .base import IngestOptions, head_text, read_text
from .records import ROLE_SYNONYMS, normalize_language, role_from_values, role_in_name
from .times import parse_clock, parse_datetime

_STAMP = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_LINE = re.compile(
    rf"^\s*(?:\[(?P<stamp>{_STAMP})\]\s*|(?P<bare>{_STAMP})\s+)?"
    r"(?P<label>[^\s:\[\]()][^:\[\]()]{0,59}?)\s*(?:\((?P<paren>[^()]{1,40})\))?\s*:(?:\s+(?P<text>.*)|\s*$)"
)
_HEADER = re.compile(r"^\s*#\s*(?P<key>[A-Za-z_ -]{1,30}?)\s*:\s*(?P<value>.*?)\s*$")
_CLOCK_ONLY = re.compile(rf"^{_STAMP}$")
# Labels that are roles in a CSV column but ordinary words at the start of a transcript line.
_NOT_SPEAKERS = {"note", "event", "team", "service", "contact", "lead", "user", "member", "host", "guest"}
HEADER_KEYS = ("id", "channel", "language", "agent", "customer", "started_at")


@dataclass
class _Speaker:
    role: str
    author: str


@dataclass
class _Turn:
    speaker: _Speaker
    start: float | None
    lines: list[str]
    line_number: int


@dataclass
class _Header:
    values: dict[str, str] = field(default_factory=dict)

    def names(self) -> dict[str, str]:
        """Speaker names the header gives a role: '# agent: Anna Weber' -> {'anna weber': 'agent'}."""
        return {self.values[r].casefold(): r for r in ("agent", "customer") if self.values.get(r)}


class TranscriptReader:
    name = "transcript"
    extensions = (".txt",)
    description = "Plain-text transcript, one conversation per file: 'Agent: …' / 'Kunde: …' lines, optional [hh:mm:ss] stamps."
    fields = (
        "Speaker lines 'Label: text' with labels Agent, Customer, Kunde, Kundin, Mitarbeiter(in), "
        "Berater(in), … or 'Name (Agent): text'; optional [hh:mm:ss] / [mm:ss] stamp at line start "
        "(start seconds; no end: stamps say when a turn starts, not when it ends); other lines continue the message above. Optional header "
        "lines '# id:', '# channel:', '# language:', '# agent: NAME', '# customer: NAME', "
        "'# started_at:'. Conversation id = header id or file name."
    )

    def sniff(self, path: Path, head: bytes) -> bool:
        lines = head_text(head).splitlines()[:40]
        header = _Header()
        return sum(1 for line in lines if _speaker_line(line, header, {}, {}) is not None) >= 2

    def read(self, path: Path, options: IngestOptions) -> Iterator[Conversation | Rejection]:
        source = Source(str(path))
        try:
            text = read_text(path, options.encoding)
        except (OSError, UnicodeDecodeError, LookupError) as exc:
            yield Rejection(source, f"cannot read the transcript: {exc}")
            return
        try:
            yield _parse(text, path, options, source)
        except RecordError as exc:
            yield Rejection(source, str(exc), path.stem)


def _speaker_line(line: str, header: _Header, known: dict[str, str], role_values: dict[str, list[str]]):
    """(speaker, start seconds, text) when the line starts a message, else None."""
    match = _LINE.match(line)
    if not match:
        return None
    label, paren = match["label"].strip(), (match["paren"] or "").strip()
    stamp = match["stamp"] or match["bare"]
    if paren and _CLOCK_ONLY.match(paren):  # "Agent (14:03): …"
        stamp, paren = stamp or paren, ""
    speaker = _resolve(label, paren, header, known, role_values)
    if speaker is None:
        if not stamp or paren:
            return None
        speaker = _Speaker("unknown", label)  # "[00:12] Anna: …" — a speaker, role not known
    start = parse_clock(stamp) if stamp else None
    return speaker, start, (match["text"] or "").strip()


def _role_of(name: str, header: _Header, known: dict[str, str], role_values: dict[str, list[str]]) -> str | None:
    key = name.casefold()
    if key in _NOT_SPEAKERS and not role_from_values(name, role_values):
        return None
    return (
        role_from_values(name, role_values)
        or header.names().get(key)
        or known.get(key)
        or ROLE_SYNONYMS.get(key)
        or (role_in_name(name) if _name_like(name) else None)
    )


def _name_like(label: str) -> bool:
    """'Agent Tom', 'Kundin Meier' — not a sentence such as 'The agent said'."""
    words = label.split()
    return 0 < len(words) <= 4 and all(w[0].isupper() or w.casefold() in ROLE_SYNONYMS for w in words)


def _resolve(label: str, paren: str, header: _Header, known: dict[str, str], role_values: dict[str, list[str]]) -> _Speaker | None:
    if paren:
        role = _role_of(paren, header, {}, role_values)
        if role:  # "Anna Weber (Agent)"
            return _Speaker(role, label)
        role = _role_of(label, header, known, role_values)
        return _Speaker(role, paren) if role else None  # "Agent (Anna Weber)"
    role = _role_of(label, header, known, role_values)
    if role is None:
        return None
    return _Speaker(role, "" if label.casefold() in ROLE_SYNONYMS else label)


def _parse(text: str, path: Path, options: IngestOptions, source: Source) -> Conversation:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    header, body_start = _read_header(lines)
    known: dict[str, str] = {}  # names seen with a role, so "Anna:" later is Anna's role
    turns: list[_Turn] = []
    preamble: list[str] = []
    for number, line in enumerate(lines[body_start:], start=body_start + 1):
        found = _speaker_line(line, header, known, options.role_values)
        if found is not None:
            speaker, start, first = found
            if speaker.author and speaker.role != "unknown":
                known[speaker.author.casefold()] = speaker.role
            turns.append(_Turn(speaker, start, [first] if first else [], number))
        elif line.strip():
            (turns[-1].lines if turns else preamble).append(line.strip())
    if not any(t.lines for t in turns):
        raise RecordError(
            "no speaker lines found: expected lines such as 'Agent: …', 'Customer: …', 'Kunde: …' "
            "or 'Mitarbeiterin: …' (see 'qa-audit formats')"
        )
    messages = _messages([t for t in turns if t.lines], header)
    values = header.values
    timed = any(m.start is not None for m in messages)
    try:
        started_at = parse_datetime(values.get("started_at") or None)
    except ValueError as exc:
        raise RecordError(f"header started_at: {exc}") from None
    metadata = {k: v for k, v in values.items() if k not in HEADER_KEYS}
    if preamble:
        metadata["preamble"] = "\n".join(preamble)
    return Conversation(
        id=values.get("id") or path.stem,
        messages=messages,
        channel=(values.get("channel") or ("call" if timed else "chat")).lower(),
        language=normalize_language(values.get("language"), "header language"),
        agent=values.get("agent", ""),
        started_at=started_at,
        metadata=metadata,
        source=source,
    )


def _read_header(lines: list[str]) -> tuple[_Header, int]:
    header = _Header()
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        match = _HEADER.match(line)
        if not match:
            return header, i
        header.values[match["key"].strip().lower().replace(" ", "_").replace("-", "_")] = match["value"]
    return header, len(lines)


def _messages(turns: list[_Turn], header: _Header) -> list[Message]:
    messages = []
    for i, turn in enumerate(turns):
        # A stamp gives when a turn starts, not when it ends: inventing end = next stamp would
        # make every transcript look timed without overlaps and hide its cut-off markers.
        author = turn.speaker.author or (header.values.get(turn.speaker.role) or "")
        messages.append(Message(
            index=i,
            role=turn.speaker.role,
            text="\n".join(turn.lines),
            author=author,
            start=turn.start,
            end=None,
            metadata={"line": turn.line_number},
        ))
    return messages
