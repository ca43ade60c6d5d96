"""CSV with one row per message; rows of a conversation share a conversation id.

Columns are found by name (case-insensitive; spaces, hyphens and underscores are the same),
either the defaults below or the user's --columns mapping. Role values go through --roles and
then the built-in synonyms. The file is streamed: when each conversation's rows are contiguous
(the usual export), memory holds one conversation at a time; when they are interleaved, the
rows are grouped by id first (memory then grows with that file).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterator

from ..errors import RecordError
from ..model import Conversation, Message, Rejection, Source
from .base import IngestOptions, TextEncoding, detect_encoding, head_text
from .records import normalize_language, resolve_role
from .times import as_aware, parse_clock, parse_datetime

# field -> column names recognised without --columns (normalised form).
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "conversation": ("conversation_id", "conversation", "ticket_id", "thread_id", "chat_id", "session_id"),
    "timestamp": ("timestamp", "time", "datetime", "date", "created_at", "sent_at", "zeitstempel", "datum"),
    "role": ("role", "author_type", "sender_type", "speaker_role", "rolle"),
    "author": ("author", "author_name", "sender", "sender_name", "name", "autor"),
    "text": ("text", "message", "body", "content", "nachricht"),
    "channel": ("channel", "kanal"),
    "language": ("language", "lang", "sprache"),
    "agent": ("agent", "agent_name"),
    "start": ("start", "start_time", "begin"),
    "end": ("end", "end_time"),
}
REQUIRED = ("conversation", "role", "text")
FIELD_ALIASES = {"conversation_id": "conversation", "id": "conversation", "body": "text",
                 "message": "text", "speaker": "author", "time": "timestamp", "date": "timestamp"}
DELIMITERS = (",", ";", "\t", "|")


def _norm(name: str) -> str:
    return "_".join(name.replace("\ufeff", "").strip().lower().replace("-", " ").replace("_", " ").split())


@dataclass
class _Row:
    number: int  # spreadsheet row number (the header is row 1)
    conversation: str
    message: Message
    channel: str = ""
    language: str = ""
    agent: str = ""


@dataclass
class _Layout:
    delimiter: str
    index: dict[str, int]  # field -> column index
    header: list[str] = field(default_factory=list)


class CsvReader:
    name = "csv"
    extensions = (".csv", ".tsv", ".txt")  # .txt: Excel's "Unicode text" (UTF-16, tab-separated)
    description = (
        "CSV with one row per message (Excel and helpdesk exports); delimiter , ; tab or | "
        "detected; UTF-8 (with or without BOM), UTF-16, Windows-1252 and Latin-1 detected. "
        ".txt files are read as CSV only when their header line names the columns."
    )
    fields = (
        "conversation_id, role, text (required); timestamp, author, channel, language, agent, "
        "start, end (seconds or hh:mm:ss) when present. Other names via --columns "
        "'conversation=Ticket ID,text=Body,role=Author Type'; role values via --roles "
        "'agent=Agent,Staff;customer=End-user'; dates ISO 8601, '28.11.2026 14:03', "
        "'11/28/2026 2:03 PM', Unix epoch, or --timestamp-format."
    )

    def sniff(self, path: Path, head: bytes) -> bool:
        first = head_text(head).split("\n", 1)[0].strip("\r")
        delimiter = _sniff_delimiter(first)
        cells = {_norm(c.strip('"')) for c in first.split(delimiter)}
        known = {name for names in DEFAULT_COLUMNS.values() for name in names}
        key = set(DEFAULT_COLUMNS["conversation"]) | set(DEFAULT_COLUMNS["text"])
        return len(cells) >= 2 and len(cells & known) >= 2 and bool(cells & key)

    def read(self, path: Path, options: IngestOptions) -> Iterator[Conversation | Rejection]:
        file = str(path)
        try:
            encoding = detect_encoding(path, options.encoding)
            layout = _layout(path, encoding, options)
        except (ValueError, UnicodeDecodeError) as exc:
            yield Rejection(Source(file), f"not a readable CSV file: {exc}")
            return
        if isinstance(layout, str):
            yield Rejection(Source(file), layout)
            return
        contiguous = _ids_contiguous(path, encoding, layout)
        groups: dict[str, list[_Row]] = {}
        current: list[_Row] = []
        for item in _rows(path, encoding, layout, options):
            if isinstance(item, Rejection):
                yield item
                continue
            if not contiguous:
                groups.setdefault(item.conversation, []).append(item)
            elif current and current[0].conversation != item.conversation:
                yield _conversation(current, file)
                current = [item]
            else:
                current.append(item)
        if current:
            yield _conversation(current, file)
        for rows in groups.values():
            yield _conversation(rows, file)


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties keep the order of DELIMITERS
    return best if counts[best] else ","


def _delimiter(option: str | None, header_line: str) -> str:
    if not option:
        return _sniff_delimiter(header_line)
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    value = named.get(option.lower(), option)
    if len(value) != 1:
        raise ValueError(f"the delimiter must be one character, got {option!r}")
    return value


def _layout(path: Path, encoding: TextEncoding, options: IngestOptions) -> _Layout | str:
    """Where each field is, or the reason the file cannot be read."""
    with path.open("r", encoding=encoding.name, errors=encoding.errors, newline="") as fh:
        first_line = fh.readline()
        fh.seek(0)
        delimiter = _delimiter(options.delimiter, first_line)
        header = next(csv.reader(fh, delimiter=delimiter), None)
    if not header or not any(cell.strip() for cell in header):
        return "the CSV file is empty (no header row)"
    normalised = [_norm(cell) for cell in header]
    wanted: dict[str, tuple[str, ...]] = dict(DEFAULT_COLUMNS)
    shown = {fld: f"'{names[0]}' (or --columns {fld}=NAME)" for fld, names in DEFAULT_COLUMNS.items()}
    for key, column in options.columns.items():
        fld = FIELD_ALIASES.get(_norm(key), _norm(key))
        if fld not in DEFAULT_COLUMNS:
            return f"--columns names an unknown field '{key}' (fields: {', '.join(DEFAULT_COLUMNS)})"
        wanted[fld] = (_norm(column),)
        shown[fld] = f"'{column}' (--columns {key})"
    index: dict[str, int] = {}
    for fld, names in wanted.items():
        for name in names:
            if name in normalised:
                index[fld] = normalised.index(name)
                break
    missing = [f for f in REQUIRED if f not in index]
    if missing:
        found = ", ".join(cell.strip() for cell in header if cell.strip())
        plural = "s" if len(missing) > 1 else ""
        return f"missing required column{plural} {', '.join(shown[f] for f in missing)}; columns found: {found}"
    return _Layout(delimiter, index, header)


def _records(path: Path, encoding: TextEncoding, layout: _Layout) -> Iterator[tuple[int, list[str] | str]]:
    """(spreadsheet row number, cells or a csv error), header skipped, blank rows dropped."""
    with path.open("r", encoding=encoding.name, errors=encoding.errors, newline="") as fh:
        reader = csv.reader(fh, delimiter=layout.delimiter)
        number = 0
        while True:
            number += 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield number, str(exc)
                continue
            if number == 1 or not any(c.strip() for c in cells):
                continue
            yield number, cells


def _ids_contiguous(path: Path, encoding: TextEncoding, layout: _Layout) -> bool:
    column = layout.index["conversation"]
    finished: set[str] = set()
    previous = None
    for _, cells in _records(path, encoding, layout):
        if isinstance(cells, str) or column >= len(cells) or not cells[column].strip():
            continue
        cid = cells[column].strip()
        if cid != previous:
            if cid in finished:
                return False
            if previous is not None:
                finished.add(previous)
            previous = cid
    return True


def _rows(path: Path, encoding: TextEncoding, layout: _Layout, options: IngestOptions) -> Iterator[_Row | Rejection]:
    file = str(path)
    for number, cells in _records(path, encoding, layout):
        source = Source(file, f"row {number}")
        if isinstance(cells, str):
            yield Rejection(source, f"unreadable CSV row: {cells}")
            continue
        try:
            yield _row(number, cells, layout, options)
        except RecordError as exc:
            yield Rejection(source, str(exc))


def _row(number: int, cells: list[str], layout: _Layout, options: IngestOptions) -> _Row:
    def cell(fld: str) -> str:
        i = layout.index.get(fld)
        return cells[i].replace("\r\n", "\n").replace("\r", "\n").strip() if i is not None and i < len(cells) else ""

    conversation = cell("conversation")
    if not conversation:
        raise RecordError(f"row {number} has no conversation id (column '{layout.header[layout.index['conversation']].strip()}')")
    text = cell("text")
    if not text:
        raise RecordError(f"row {number} has no text (column '{layout.header[layout.index['text']].strip()}')")
    try:
        timestamp = parse_datetime(cell("timestamp"), options.timestamp_format)
    except ValueError as exc:
        raise RecordError(f"row {number}: timestamp {exc}") from None
    start, end = (_seconds(cell(f), f, number) for f in ("start", "end"))
    if start is not None and end is not None and end < start:
        raise RecordError(f"row {number} ends ({end}) before it starts ({start})")
    raw_role = cell("role")
    message = Message(
        index=0,
        role=resolve_role(raw_role, options.role_values) if raw_role else "unknown",
        text=text,
        author=cell("author"),
        timestamp=timestamp,
        start=start,
        end=end,
        metadata={"row": number, **({"raw_role": raw_role} if raw_role else {})},
    )
    return _Row(number, conversation, message, cell("channel"), cell("language"), cell("agent"))


def _seconds(value: str, name: str, number: int) -> float | None:
    if not value:
        return None
    try:
        return parse_clock(value)
    except ValueError as exc:
        raise RecordError(f"row {number}: '{name}' {exc}") from None


def _conversation(rows: list[_Row], file: str) -> Conversation | Rejection:
    numbers = sorted(r.number for r in rows)
    position = f"row {numbers[0]}" if len(numbers) == 1 else f"rows {numbers[0]}-{numbers[-1]}"
    source = Source(file, position)
    cid = rows[0].conversation
    messages = [r.message for r in rows]
    if all(m.timestamp for m in messages):
        messages.sort(key=lambda m: as_aware(m.timestamp) or datetime.min)
    elif all(m.start is not None for m in messages):
        messages.sort(key=lambda m: m.start or 0.0)
    for i, message in enumerate(messages):
        message.index = i
    try:
        language = normalize_language(next((r.language for r in rows if r.language), None))
    except RecordError as exc:
        return Rejection(source, f"conversation {cid}: {exc}", cid)
    timed = any(m.start is not None for m in messages)
    stamps = [m.timestamp for m in messages if m.timestamp]
    return Conversation(
        id=cid,
        messages=messages,
        channel=next((r.channel.lower() for r in rows if r.channel), "call" if timed else "chat"),
        language=language,
        agent=next((r.agent for r in rows if r.agent), ""),
        started_at=min(stamps, key=as_aware) if stamps else None,
        source=source,
    )
