"""Ingest: walk the inputs, pick a reader per file, stream conversations and rejections.

Every record ends either as a Conversation or as a Rejection (file, position, reason).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import QaAuditError
from ..model import Conversation, Rejection, Source
from .aws_transcribe import AwsTranscribeReader
from .base import IngestOptions, Reader
from .csv_rows import CsvReader
from .email_thread import EmailReader
from .intercom import IntercomReader
from .json_file import JsonListReader
from .jsonl import JsonlReader
from .subtitles import SrtReader, VttReader
from .transcript import TranscriptReader
from .zendesk import ZendeskReader

SNIFF_BYTES = 4096


# Every reader, in sniffing order (most specific first). Each lives in its own module.
# Readers sharing an extension sniff in this order, the most general last: for .json the export
# formats before canonical json, for .txt tab-separated text (csv) before transcripts.
READERS: list[Reader] = [
    JsonlReader(),
    AwsTranscribeReader(),
    IntercomReader(),
    ZendeskReader(),
    JsonListReader(),
    VttReader(),
    SrtReader(),
    EmailReader(),
    CsvReader(),
    TranscriptReader(),
]


def reader_names() -> list[str]:
    return [r.name for r in READERS]


def describe_formats() -> list[dict[str, object]]:
    """Every reader for 'qa-audit formats': name, extensions, description, fields (sniff order)."""
    return [
        {"name": r.name, "extensions": list(r.extensions), "description": r.description, "fields": r.fields}
        for r in READERS
    ]


def get_reader(name: str) -> Reader:
    for reader in READERS:
        if reader.name == name:
            return reader
    raise QaAuditError(f"Unknown input format '{name}'; choose one of: {', '.join(reader_names())}.")


def choose_reader(path: Path, forced: str | None = None) -> Reader | None:
    """The reader for a file: forced by name, else by extension and content."""
    if forced:
        return get_reader(forced)
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    suffix = path.suffix.lower()
    by_ext = [r for r in READERS if suffix in r.extensions]
    for reader in by_ext:
        if len(by_ext) == 1 or reader.sniff(path, head):
            return reader
    for reader in READERS:
        if reader not in by_ext and reader.sniff(path, head):
            return reader
    # Nothing recognised the content: the most general reader of the extension (the last one,
    # e.g. canonical json for .json, transcript for .txt) reads it and says what is wrong.
    return by_ext[-1] if by_ext else None


def expand_paths(inputs: Iterable[str | Path]) -> list[Path]:
    """Files named, and every non-hidden file below folders named, in a stable order."""
    files: list[Path] = []
    for item in inputs:
        path = Path(item)
        if not path.exists():
            raise QaAuditError(f"Input '{item}' does not exist.")
        if path.is_dir():
            files.extend(
                p for p in sorted(path.rglob("*"))
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and p.name.lower() not in {"readme.md", "readme.txt", "readme"}
            )
        else:
            files.append(path)
    return files


MAX_MESSAGE_CHARS = 200_000  # longer "messages" are attachments or dumps, not conversation


@dataclass
class IngestStats:
    seen_ids: dict[str, str] = field(default_factory=dict)  # conversation id -> where first read
    files: list[str] = field(default_factory=list)
    formats: Counter = field(default_factory=Counter)  # reader name -> files
    conversations: int = 0
    rejected: int = 0
    messages: int = 0
    unknown_roles: int = 0


def iter_conversations(
    inputs: Iterable[str | Path], options: IngestOptions, stats: IngestStats | None = None
) -> Iterator[Conversation | Rejection]:
    """Stream every conversation and rejection from the inputs, file by file.

    A reader with read_files (email: threads span .eml files) gets all of its files at once,
    at the place of the first one.
    """
    stats = stats if stats is not None else IngestStats()
    paths = expand_paths(inputs)
    chosen: list[tuple[Path, Reader | None | OSError]] = []
    for path in paths:
        try:
            chosen.append((path, choose_reader(path, options.input_format)))
        except OSError as exc:
            chosen.append((path, exc))
    grouped: dict[str, list[Path]] = {}
    for path, reader in chosen:
        if reader is not None and not isinstance(reader, OSError) and hasattr(reader, "read_files"):
            grouped.setdefault(reader.name, []).append(path)
    for path, reader in chosen:
        stats.files.append(str(path))
        if isinstance(reader, OSError):
            stats.rejected += 1
            yield Rejection(Source(str(path)), f"cannot read the file: {reader.strerror or reader}")
            continue
        if reader is None:
            stats.rejected += 1
            yield Rejection(Source(str(path)), "unrecognised input format (see 'qa-audit formats')")
            continue
        stats.formats[reader.name] += 1
        if reader.name in grouped:
            group = grouped[reader.name]
            if group[0] != path:
                continue  # read together with the first file of its group
            items = reader.read_files(group, options)
        else:
            items = reader.read(path, options)
        yield from _counted(items, path, reader, options, stats)


def _counted(
    items: Iterator[Conversation | Rejection], path: Path, reader: Reader, options: IngestOptions, stats: IngestStats
) -> Iterator[Conversation | Rejection]:
    try:
        for item in items:
            if isinstance(item, Conversation):
                item = _finish(item, options, stats)
            if isinstance(item, Rejection):
                stats.rejected += 1
            else:
                stats.conversations += 1
                stats.messages += len(item.messages)
                stats.unknown_roles += sum(1 for m in item.messages if m.role == "unknown")
            yield item
    except (OSError, UnicodeError, ValueError) as exc:  # a reader gave up on the whole file
        stats.rejected += 1
        yield Rejection(Source(str(path)), f"the file could not be read as {reader.name}: {exc}")
    except Exception as exc:  # noqa: BLE001 — a reader bug on odd input must not end the run
        stats.rejected += 1
        yield Rejection(Source(str(path)), f"the file could not be read as {reader.name} ({type(exc).__name__}: {exc})")


def _finish(conv: Conversation, options: IngestOptions, stats: IngestStats) -> Conversation | Rejection:
    where = str(conv.source or Source("?"))
    first = stats.seen_ids.get(conv.id)
    if first is not None:
        # two conversations with one id would mix their findings (and agents' pages)
        return Rejection(conv.source or Source("?"), f"duplicate conversation id '{conv.id}' (first read at {first})", conv.id)
    too_long = next((m for m in conv.messages if len(m.text) > MAX_MESSAGE_CHARS), None)
    if too_long is not None:
        return Rejection(conv.source or Source("?"),
                         f"conversation {conv.id}: message {too_long.index} has {len(too_long.text):,} characters "
                         f"(more than {MAX_MESSAGE_CHARS:,}); it is not audited", conv.id)
    stats.seen_ids[conv.id] = where
    if options.language:
        conv.language = options.language
    if not any(m.role == "agent" for m in conv.messages):
        roles = sorted({m.role for m in conv.messages})
        return Rejection(
            conv.source or Source("?"),
            f"conversation {conv.id} has no agent message (roles seen: {', '.join(roles)})",
            conv.id,
        )
    if not conv.agent:
        conv.agent = next((m.author for m in conv.messages if m.role == "agent" and m.author), "") or "unknown agent"
    return conv
