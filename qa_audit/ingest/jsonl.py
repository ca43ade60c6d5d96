"""Canonical JSON Lines: one conversation object a line (DESIGN.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from ..errors import RecordError
from ..model import Conversation, Rejection, Source
from .base import IngestOptions, decode_bytes
from .records import conversation_from_record


class JsonlReader:
    name = "jsonl"
    extensions = (".jsonl", ".ndjson")
    description = "Canonical JSON Lines, one conversation per line (the format of DESIGN.md)."
    fields = (
        "id, channel, language, agent, started_at, metadata, messages[] with role, author, "
        "text, timestamp (ISO 8601), start/end (seconds, calls), labels (gold sets)."
    )

    def sniff(self, path: Path, head: bytes) -> bool:
        first_line = head.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0].strip()
        return first_line.startswith(b"{") and first_line.endswith(b"}")

    def read(self, path: Path, options: IngestOptions) -> Iterator[Conversation | Rejection]:
        with path.open("rb") as fh:  # streamed line by line: memory does not grow with the file
            for lineno, raw in enumerate(fh, start=1):
                source = Source(str(path), f"line {lineno}")
                try:
                    line = decode_bytes(raw, options.encoding).strip()
                except UnicodeDecodeError as exc:
                    yield Rejection(source, f"line is not valid text ({exc.reason})")
                    continue
                if not line:
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield Rejection(source, f"invalid JSON at column {exc.colno}: {exc.msg}")
                    continue
                try:
                    yield conversation_from_record(record, source)
                except RecordError as exc:
                    rid = record.get("id") if isinstance(record, dict) else None
                    yield Rejection(source, str(exc), None if rid is None else str(rid))
