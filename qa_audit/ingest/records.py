"""Turn a canonical conversation record (a dict, as in DESIGN.md) into a Conversation.

Every reader that can produce the canonical shape uses this, so validation and role
normalisation happen in one place. Bad records raise RecordError with one clear reason.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ..errors import RecordError
from ..model import Conversation, Message, Source

LANGUAGES = ("en", "de")

# Raw role names seen in exports, mapped onto the model's roles (compared lower-cased).
ROLE_SYNONYMS: dict[str, str] = {
    **{k: "agent" for k in (
        "agent", "staff", "support", "supporter", "operator", "representative", "rep",
        "advisor", "adviser", "admin", "employee", "helpdesk", "service", "csr",
        "mitarbeiter", "mitarbeiterin", "berater", "beraterin", "kundenservice",
        "kundendienst", "support-team", "teammate", "team", "customer service",
        "customer care", "customer support", "support agent", "service agent", "kundenberater",
        "kundenberaterin", "sachbearbeiter", "sachbearbeiterin", "servicemitarbeiter",
        "servicemitarbeiterin", "service-mitarbeiter", "service-mitarbeiterin", "specialist",
        "associate", "moderator", "host",
    )},
    **{k: "customer" for k in (
        "customer", "client", "caller", "user", "end-user", "end_user", "enduser",
        "requester", "contact", "lead", "visitor", "kunde", "kundin", "anrufer",
        "anruferin", "guest", "member", "patient", "interessent", "interessentin", "gast",
    )},
    **{k: "system" for k in ("system", "note", "event")},
    **{k: "bot" for k in ("bot", "chatbot", "virtual agent", "assistant", "ivr")},
}


# Words that reveal a role when they appear inside a speaker's name ("Anna (Support)",
# "Agent Tom", "Kundin Meier"). Ambiguous words (team, contact, lead, user, service, note) are
# left out: they are roles as a whole value, not as part of a name.
_NAME_ROLE_WORDS: dict[str, str] = {
    w: r for w, r in ROLE_SYNONYMS.items()
    if " " not in w and w not in {"team", "contact", "lead", "user", "service", "note", "event",
                                  "host", "member", "associate", "specialist", "rep", "admin"}
}


def role_from_values(raw: Any, role_values: dict[str, list[str]]) -> str | None:
    """The role a user mapped this raw value to (--roles), compared case-insensitively."""
    if raw is None or not role_values:
        return None
    key = str(raw).strip().casefold()
    for role, values in role_values.items():
        if any(key == v.strip().casefold() for v in values):
            return role
    return None


def resolve_role(raw: Any, role_values: dict[str, list[str]]) -> str:
    """A raw role value: the user's mapping first, then the built-in synonyms, else 'unknown'."""
    return role_from_values(raw, role_values) or normalize_role(raw)


def role_in_name(name: str) -> str | None:
    """A role named by the speaker label itself ("Agent Anna", "Max (Kunde)"), else None.

    The whole label is tried first ("Customer Service" is an agent), then its words; words
    that point to different roles give None.
    """
    whole = ROLE_SYNONYMS.get(name.strip().casefold())
    if whole:
        return whole
    words = re.findall(r"[\w-]+", name.casefold())
    found = {_NAME_ROLE_WORDS[w] for w in words if w in _NAME_ROLE_WORDS}
    return found.pop() if len(found) == 1 else None


def name_without_role(label: str) -> str:
    """The person's name in a speaker label: 'Agent Tom' -> 'Tom', 'Anna (Support)' -> 'Anna', 'Kunde' -> ''."""
    if label.strip().casefold() in ROLE_SYNONYMS:
        return ""
    words = [w for w in re.split(r"[\s()\[\]|,:]+", label) if w]
    kept = [w for w in words if w.casefold() not in _NAME_ROLE_WORDS]
    return " ".join(kept) if kept else ""


def normalize_role(raw: Any) -> str:
    """Map a raw role onto agent/customer/system/bot; anything else is 'unknown'."""
    if not isinstance(raw, str):
        return "unknown"
    return ROLE_SYNONYMS.get(raw.strip().lower(), "unknown")


def parse_timestamp(value: Any, where: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, (int, float)):
        raise RecordError(f"{where}: timestamp {value!r} is a number, expected an ISO 8601 date-time")
    if not isinstance(value, str):
        raise RecordError(f"{where}: timestamp must be a string, got {type(value).__name__}")
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise RecordError(f"{where}: timestamp {value!r} is not an ISO 8601 date-time") from None


def _seconds(value: Any, name: str, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise RecordError(f"{where}: '{name}' must be a number of seconds, got {value!r}") from None
    return float(value)


def normalize_language(value: Any, where: str = "language") -> str | None:
    if value in (None, "", "auto"):
        return None
    if not isinstance(value, str):
        raise RecordError(f"{where} must be a string such as 'en' or 'de'")
    code = value.strip().lower().replace("_", "-").split("-")[0]
    if code not in LANGUAGES:
        raise RecordError(f"language {value!r} is not supported (use en or de)")
    return code


def message_from_record(raw: Any, index: int) -> Message:
    where = f"message {index}"
    if not isinstance(raw, dict):
        raise RecordError(f"{where} is not an object")
    text = raw.get("text")
    if text is None:
        text = raw.get("body", raw.get("content"))
    if not isinstance(text, str):
        raise RecordError(f"{where} has no text")
    start = _seconds(raw.get("start"), "start", where)
    end = _seconds(raw.get("end"), "end", where)
    if start is not None and end is not None and end < start:
        raise RecordError(f"{where} ends ({end}) before it starts ({start})")
    labels = raw.get("labels") or []
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise RecordError(f"{where}: 'labels' must be a list of check ids")
    known = {"role", "author", "text", "body", "content", "timestamp", "start", "end", "labels"}
    return Message(
        index=index,
        role=normalize_role(raw.get("role")),
        author=str(raw.get("author") or ""),
        text=text,
        timestamp=parse_timestamp(raw.get("timestamp"), where),
        start=start,
        end=end,
        labels=list(labels),
        metadata={k: v for k, v in raw.items() if k not in known},
    )


def conversation_from_record(record: Any, source: Source) -> Conversation:
    """Validate one canonical record; raise RecordError naming the first problem."""
    if not isinstance(record, dict):
        raise RecordError(f"expected a conversation object, got {type(record).__name__}")
    conv_id = record.get("id")
    if conv_id in (None, ""):
        raise RecordError("the conversation has no 'id'")
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RecordError(f"conversation {conv_id!s} has no messages")
    metadata = record.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise RecordError(f"conversation {conv_id!s}: 'metadata' must be an object")
    msgs = [message_from_record(m, i) for i, m in enumerate(messages)]
    agent = record.get("agent") or next((m.author for m in msgs if m.role == "agent" and m.author), "")
    return Conversation(
        id=str(conv_id),
        messages=msgs,
        channel=str(record.get("channel") or "chat"),
        language=normalize_language(record.get("language")),
        agent=str(agent or ""),
        started_at=parse_timestamp(record.get("started_at"), "started_at"),
        metadata=dict(metadata),
        source=source,
    )
