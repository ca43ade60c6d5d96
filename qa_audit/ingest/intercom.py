"""Intercom conversations as JSON (the REST API's conversation object, or a list of them).

The first message is `source`; replies are `conversation_parts.conversation_parts[]`. Author
type user / lead / contact -> customer, admin / team -> agent, bot -> bot (--roles can map an
author type, id, name or email). Notes (`part_type` note) are internal and skipped unless
include_private; parts without a body (assignments, open, close, snooze) carry no message.
Bodies are HTML and become plain text. `created_at` is a Unix time.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

from ..errors import RecordError
from ..model import Conversation, Message, Rejection, Source
from .base import IngestOptions, head_text, load_json_file
from .email_clean import clean_body
from .html_text import html_to_text
from .records import normalize_language, role_from_values
from .times import parse_datetime

AUTHOR_ROLES = {"user": "customer", "lead": "customer", "contact": "customer", "visitor": "customer",
                "admin": "agent", "team": "agent", "bot": "bot", "operator": "bot"}
NOTE_PARTS = {"note", "note_and_reopen"}
_CHANNELS = {"conversation": "chat", "chat": "chat", "email": "email", "phone_call": "call", "call": "call",
             "facebook": "chat", "twitter": "chat", "whatsapp": "chat", "sms": "chat", "instagram": "chat"}
_SNIFF = re.compile(r'"conversation_parts"|"part_type"|"type"\s*:\s*"conversation(\.list)?"')


class IntercomReader:
    name = "intercom"
    extensions = (".json",)
    description = "Intercom conversation JSON (one conversation, a list, or {\"conversations\": [...]})."
    fields = (
        "id; source (first message: body, author, created_at, delivered_as, subject); "
        "conversation_parts.conversation_parts[] part_type, body (HTML), author.type "
        "(user/lead/contact -> customer, admin/team -> agent, bot -> bot), author.name, created_at "
        "(Unix time); notes skipped unless --include-private; parts without body skipped."
    )

    def sniff(self, path: Path, head: bytes) -> bool:
        text = head_text(head)
        return text.lstrip().startswith(("{", "[")) and bool(_SNIFF.search(text))

    def read(self, path: Path, options: IngestOptions) -> Iterator[Conversation | Rejection]:
        file = str(path)
        data = load_json_file(path, options.encoding)
        if isinstance(data, Rejection):
            yield data
            return
        if isinstance(data, dict) and isinstance(data.get("conversations"), list):
            items = [(f"conversations[{i}]", c) for i, c in enumerate(data["conversations"])]
        elif isinstance(data, list):
            items = [(f"item {i}", c) for i, c in enumerate(data)]
        elif isinstance(data, dict) and ("source" in data or "conversation_parts" in data):
            items = [("", data)]
        else:
            yield Rejection(Source(file), "not an Intercom export: expected a conversation with 'source' and "
                                          "'conversation_parts', or a 'conversations' list")
            return
        for where, record in items:
            source = Source(file, where)
            try:
                yield _conversation(record, source, options)
            except RecordError as exc:
                cid = record.get("id") if isinstance(record, dict) else None
                yield Rejection(source, str(exc), None if cid is None else str(cid))


def _parts(record: dict) -> list:
    parts = record.get("conversation_parts") or []
    if isinstance(parts, dict):
        parts = parts.get("conversation_parts") or []
    if not isinstance(parts, list):
        raise RecordError(f"conversation {record.get('id')}: 'conversation_parts' is not a list")
    return parts


def _conversation(record: Any, source: Source, options: IngestOptions) -> Conversation:
    if not isinstance(record, dict):
        raise RecordError("expected a conversation object")
    cid = record.get("id")
    if cid in (None, ""):
        raise RecordError("the conversation has no 'id'")
    first = record.get("source") if isinstance(record.get("source"), dict) else None
    entries = ([("source", first)] if first else []) + [(f"part {i}", p) for i, p in enumerate(_parts(record))]
    channel = _CHANNELS.get(str((first or {}).get("type") or "conversation").lower(), "chat")
    messages: list[Message] = []
    skipped_notes = 0
    resolution: dict[str, str] = {}
    for where, part in entries:
        if not isinstance(part, dict):
            raise RecordError(f"conversation {cid}: {where} is not an object")
        internal = str(part.get("part_type") or "") in NOTE_PARTS
        if internal and not options.include_private:
            skipped_notes += 1
            continue
        body = part.get("body")
        text = html_to_text(body) if isinstance(body, str) else ""
        if channel == "email":
            text = clean_body(text)
        if not text:
            continue  # assignment, open, close, snooze: no message
        author = part.get("author") if isinstance(part.get("author"), dict) else {}
        role, how = _role(author, options)
        resolution.setdefault(str(author.get("type") or "?"), how)
        try:
            timestamp = parse_datetime(part.get("created_at") or (record.get("created_at") if where == "source" else None))
        except ValueError as exc:
            raise RecordError(f"conversation {cid}: {where} created_at {exc}") from None
        meta: dict[str, Any] = {"part_id": part.get("id"), "part_type": part.get("part_type") or where}
        if internal:
            meta["internal"] = True
        messages.append(Message(index=len(messages), role=role, text=text,
                                author=str(author.get("name") or author.get("email") or ""),
                                timestamp=timestamp, metadata=meta))
    if not messages:
        raise RecordError(f"conversation {cid} has no message with text")
    metadata: dict[str, Any] = {"role_resolution": resolution}
    if first and first.get("subject"):
        metadata["subject"] = html_to_text(str(first["subject"]))
    if skipped_notes:
        metadata["skipped_private_notes"] = skipped_notes
    language = (record.get("custom_attributes") or {}).get("language") if isinstance(record.get("custom_attributes"), dict) else None
    try:
        language = normalize_language(language)
    except RecordError:
        language = None
    return Conversation(
        id=str(cid),
        messages=messages,
        channel=channel,
        language=language,
        started_at=messages[0].timestamp,
        metadata=metadata,
        source=source,
    )


def _role(author: dict, options: IngestOptions) -> tuple[str, str]:
    for value in (author.get("id"), author.get("email"), author.get("name"), author.get("type")):
        mapped = role_from_values(value, options.role_values) if value not in (None, "") else None
        if mapped:
            return mapped, "--roles"
    role = AUTHOR_ROLES.get(str(author.get("type") or "").lower())
    return (role, "author type") if role else ("unknown", "unknown author type")
