"""Zendesk ticket exports: tickets with their comments, as JSON.

Accepted shapes: one ticket (`{"ticket": {...}}` or a ticket object with "comments"), a list
(`{"tickets": [...]}` or `[...]`), a comments response (`{"comments": [...]}`, id = file name),
and the full JSON export with one ticket per line. Sideloaded `users` resolve `author_id` to a
name and role (end-user -> customer, agent/admin -> agent).

Author role, first match wins: --roles (author id, name, email or user role), the user's role,
the comment's embedded author role, the ticket requester (customer), the assignee (agent),
author id -1 (Zendesk itself: system); otherwise unknown. Private comments (`public: false`,
internal notes) are skipped unless include_private, and counted in metadata.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from ..errors import RecordError
from ..model import Conversation, Message, Rejection, Source
from .base import IngestOptions, decode_bytes, head_text, read_text
from .email_clean import clean_body
from .html_text import html_to_text
from .records import normalize_language, normalize_role, role_from_values
from .times import as_aware, parse_datetime

_CHANNELS = {"email": "email", "voice": "call", "phone": "call", "chat": "chat", "native_messaging": "chat",
             "messaging": "chat", "whatsapp": "chat", "sms": "chat", "facebook": "chat", "twitter": "chat",
             "instagram_dm": "chat", "line": "chat", "wechat": "chat", "web": "ticket", "api": "ticket",
             "mobile_sdk": "chat", "web_widget": "chat"}
_MARKERS = ('"ticket"', '"tickets"', '"requester_id"', '"author_id"', '"comments"')


@dataclass
class _Users:
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, users: Any) -> None:
        for user in users or []:
            if isinstance(user, dict) and user.get("id") is not None:
                self.by_id[str(user["id"])] = user


class ZendeskReader:
    name = "zendesk"
    extensions = (".json",)
    description = "Zendesk ticket export JSON (tickets with comments; users sideloaded or not)."
    fields = (
        "ticket id -> id; comments[] author_id, plain_body/body/html_body, public, created_at -> "
        "messages; users[] (role end-user/agent/admin, name) -> role and author; requester_id -> "
        "customer, assignee_id -> agent; via.channel -> channel; private notes skipped unless "
        "--include-private."
    )

    def sniff(self, path: Path, head: bytes) -> bool:
        text = head_text(head)
        if '"conversation_parts"' in text or '"ParticipantRole"' in text:
            return False  # Intercom, Contact Lens
        if '"messages"' in text and '"author_id"' not in text:
            return False  # canonical conversations
        return text.lstrip().startswith(("{", "[")) and any(marker in text for marker in _MARKERS)

    def read(self, path: Path, options: IngestOptions) -> Iterator[Conversation | Rejection]:
        file = str(path)
        try:
            data = json.loads(read_text(path, options.encoding))
        except json.JSONDecodeError as exc:
            if exc.msg == "Extra data":  # the full export: one ticket per line
                yield from self._read_lines(path, options)
            else:
                yield Rejection(Source(file, f"line {exc.lineno}"), f"invalid JSON at column {exc.colno}: {exc.msg}")
            return
        except (UnicodeDecodeError, LookupError) as exc:
            yield Rejection(Source(file), f"cannot decode the file: {exc}")
            return
        users = _Users()
        if isinstance(data, dict):
            users.add(data.get("users"))
        for where, ticket in _tickets(data, path):
            if ticket is None:
                yield Rejection(Source(file, where), "not a Zendesk export: expected 'ticket', 'tickets' or 'comments'")
                continue
            yield _safe(ticket, users, Source(file, where), options)

    def _read_lines(self, path: Path, options: IngestOptions) -> Iterator[Conversation | Rejection]:
        with path.open("rb") as fh:
            for number, raw in enumerate(fh, start=1):
                source = Source(str(path), f"line {number}")
                try:
                    line = decode_bytes(raw, options.encoding).strip()
                    if not line:
                        continue
                    ticket = json.loads(line)
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    yield Rejection(source, f"invalid JSON line: {exc}")
                    continue
                users = _Users()
                if isinstance(ticket, dict):
                    users.add(ticket.get("users"))
                    ticket = ticket.get("ticket", ticket) if isinstance(ticket.get("ticket"), dict) else ticket
                yield _safe(ticket, users, source, options)


def _tickets(data: Any, path: Path) -> Iterator[tuple[str, dict | None]]:
    if isinstance(data, list):
        for i, ticket in enumerate(data):
            yield f"item {i}", ticket if isinstance(ticket, dict) else None
    elif not isinstance(data, dict):
        yield "", None
    elif isinstance(data.get("tickets"), list):
        for i, ticket in enumerate(data["tickets"]):
            yield f"tickets[{i}]", ticket if isinstance(ticket, dict) else None
    elif isinstance(data.get("ticket"), dict):
        ticket = dict(data["ticket"])
        if "comments" not in ticket and isinstance(data.get("comments"), list):
            ticket["comments"] = data["comments"]
        yield f"ticket {ticket.get('id', '')}".strip(), ticket
    elif isinstance(data.get("comments"), list):
        yield "", {"id": data.get("id") or path.stem, **data}
    else:
        yield "", None


def _safe(ticket: Any, users: _Users, source: Source, options: IngestOptions) -> Conversation | Rejection:
    tid = ticket.get("id") if isinstance(ticket, dict) else None
    try:
        return _conversation(ticket, users, source, options)
    except RecordError as exc:
        return Rejection(source, str(exc), None if tid is None else str(tid))


def _conversation(ticket: Any, users: _Users, source: Source, options: IngestOptions) -> Conversation:
    if not isinstance(ticket, dict):
        raise RecordError("expected a ticket object")
    tid = ticket.get("id")
    if tid in (None, ""):
        raise RecordError("the ticket has no 'id'")
    comments = ticket.get("comments")
    if not isinstance(comments, list):
        raise RecordError(f"ticket {tid} has no 'comments' list (export the tickets with their comments)")
    users.add(ticket.get("users"))
    channel = _CHANNELS.get(str(((ticket.get("via") or {}).get("channel")) or "").lower(), "")
    kept: list[tuple[Any, int, Message]] = []
    skipped_private = skipped_empty = 0
    resolution: dict[str, str] = {}
    for position, comment in enumerate(comments):
        if not isinstance(comment, dict):
            raise RecordError(f"ticket {tid}: comment {position} is not an object")
        private = comment.get("public") is False
        if private and not options.include_private:
            skipped_private += 1
            continue
        text = _text(comment)
        if not text:
            skipped_empty += 1
            continue
        role, author, how = _author(comment, ticket, users, options)
        resolution.setdefault(str(comment.get("author_id")), how)
        try:
            timestamp = parse_datetime(comment.get("created_at"))
        except ValueError as exc:
            raise RecordError(f"ticket {tid}: comment {position} created_at {exc}") from None
        meta = {"comment_id": comment.get("id")}
        if private:
            meta["internal"] = True
        kept.append((as_aware(timestamp), position, Message(index=0, role=role, text=text, author=author,
                                                            timestamp=timestamp, metadata=meta)))
    if not kept:
        raise RecordError(f"ticket {tid} has no public comment with text")
    if all(stamp is not None for stamp, _, _ in kept):
        kept.sort(key=lambda item: (item[0], item[1]))
    messages = [m for _, _, m in kept]
    for index, message in enumerate(messages):
        message.index = index
    assignee = users.by_id.get(str(ticket.get("assignee_id")), {})
    metadata: dict[str, Any] = {"role_resolution": resolution}
    for key in ("subject", "status", "priority", "tags"):
        if ticket.get(key):
            metadata[key] = ticket[key]
    if skipped_private:
        metadata["skipped_private_comments"] = skipped_private
    if skipped_empty:
        metadata["skipped_empty_comments"] = skipped_empty
    try:
        started_at = parse_datetime(ticket.get("created_at"))
    except ValueError:
        started_at = messages[0].timestamp
    return Conversation(
        id=str(tid),
        messages=messages,
        channel=channel or ("email" if _mostly_email(comments) else "chat"),
        language=_language(ticket, users),
        agent=str(assignee.get("name") or ""),
        started_at=started_at or messages[0].timestamp,
        metadata=metadata,
        source=source,
    )


def _text(comment: dict) -> str:
    for key in ("plain_body", "body"):
        if isinstance(comment.get(key), str) and comment[key].strip():
            text = comment[key]
            break
    else:
        html = comment.get("html_body")
        text = html_to_text(html) if isinstance(html, str) else ""
    if str(((comment.get("via") or {}).get("channel")) or "").lower() == "email":
        text = clean_body(text)
    return text.strip()


def _author(comment: dict, ticket: dict, users: _Users, options: IngestOptions) -> tuple[str, str, str]:
    """(role, author name, how the role was decided) for a comment's author."""
    author_id = comment.get("author_id")
    user = users.by_id.get(str(author_id), {})
    embedded = comment.get("author") if isinstance(comment.get("author"), dict) else {}
    name = str(user.get("name") or embedded.get("name") or (author_id if author_id is not None else ""))
    for value in (author_id, user.get("name"), user.get("email"), embedded.get("name"), embedded.get("email"),
                  user.get("role"), embedded.get("role")):
        mapped = role_from_values(value, options.role_values) if value not in (None, "") else None
        if mapped:
            return mapped, name, "--roles"
    for value, how in ((user.get("role"), "user role"), (embedded.get("role"), "author role")):
        role = normalize_role(value)
        if role != "unknown":
            return role, name, how
    if author_id is not None and author_id == ticket.get("requester_id"):
        return "customer", name, "ticket requester"
    if author_id is not None and author_id == ticket.get("assignee_id"):
        return "agent", name, "ticket assignee"
    if author_id == -1:
        return "system", name or "Zendesk", "Zendesk system user"
    return "unknown", name, "unknown author"


def _mostly_email(comments: list) -> bool:
    channels = [str(((c.get("via") or {}).get("channel")) or "") for c in comments if isinstance(c, dict)]
    return bool(channels) and channels.count("email") * 2 >= len(channels)


def _language(ticket: dict, users: _Users) -> str | None:
    requester = users.by_id.get(str(ticket.get("requester_id")), {})
    for value in (ticket.get("locale"), requester.get("locale")):
        try:
            language = normalize_language(value)
        except RecordError:
            continue
        if language:
            return language
    return None
