"""A JSON file holding a list of canonical conversations (or {"conversations": [...]})."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..errors import RecordError
from ..model import Conversation, Rejection, Source
from .base import IngestOptions, load_json_file
from .records import conversation_from_record


class JsonListReader:
    name = "json"
    extensions = (".json",)
    description = "A JSON array of canonical conversations, or an object with a 'conversations' array."
    fields = "Each element as in canonical JSONL."

    def sniff(self, path: Path, head: bytes) -> bool:
        # Last of the .json readers: the export formats (Intercom, Zendesk, AWS) sniff first.
        stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if stripped.startswith(b"["):  # an array of objects, not "[00:01] Agent: …"
            return stripped[1:].lstrip(b" \t\r\n")[:1] in (b"{", b"]", b"")
        return stripped.startswith(b"{") and (b'"conversations"' in head or b'"messages"' in head)

    def read(self, path: Path, options: IngestOptions) -> Iterator[Conversation | Rejection]:
        data = load_json_file(path, options.encoding)
        if isinstance(data, Rejection):
            yield data
            return
        if isinstance(data, dict) and isinstance(data.get("conversations"), list):
            data = data["conversations"]
        elif isinstance(data, dict) and "messages" in data:
            data = [data]
        if not isinstance(data, list):
            yield Rejection(Source(str(path)), "expected a JSON array of conversations")
            return
        for i, record in enumerate(data):
            source = Source(str(path), f"item {i}")
            try:
                yield conversation_from_record(record, source)
            except RecordError as exc:
                rid = record.get("id") if isinstance(record, dict) else None
                yield Rejection(source, str(exc), None if rid is None else str(rid))
