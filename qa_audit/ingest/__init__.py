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
from .base import IngestOptions, Reader
from .json_file import JsonListReader
from .jsonl import JsonlReader

SNIFF_BYTES = 4096


# Every reader, in sniffing order (most specific first). Each lives in its own module.
READERS: list[Reader] = [JsonlReader(), JsonListReader()]


def reader_names() -> list[str]:
    return [r.name for r in READERS]


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
    return None


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


@dataclass
class IngestStats:
    files: list[str] = field(default_factory=list)
    formats: Counter = field(default_factory=Counter)  # reader name -> files
    conversations: int = 0
    rejected: int = 0
    messages: int = 0
    unknown_roles: int = 0


def iter_conversations(
    inputs: Iterable[str | Path], options: IngestOptions, stats: IngestStats | None = None
) -> Iterator[Conversation | Rejection]:
    """Stream every conversation and rejection from the inputs, file by file."""
    stats = stats if stats is not None else IngestStats()
    for path in expand_paths(inputs):
        stats.files.append(str(path))
        try:
            reader = choose_reader(path, options.input_format)
        except OSError as exc:
            stats.rejected += 1
            yield Rejection(Source(str(path)), f"cannot read the file: {exc.strerror or exc}")
            continue
        if reader is None:
            stats.rejected += 1
            yield Rejection(Source(str(path)), "unrecognised input format (see 'qa-audit formats')")
            continue
        stats.formats[reader.name] += 1
        try:
            for item in reader.read(path, options):
                if isinstance(item, Conversation):
                    item = _finish(item, options)
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


def _finish(conv: Conversation, options: IngestOptions) -> Conversation | Rejection:
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
