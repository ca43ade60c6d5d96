"""What every input reader is: a name, the extensions it claims, a sniff and a streaming read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Protocol

from charset_normalizer import from_bytes

from ..model import Conversation, Rejection


@dataclass
class IngestOptions:
    """Options that readers may use; each reader documents the ones it reads."""

    language: str | None = None  # force a language onto every conversation
    input_format: str | None = None  # force one reader by name
    columns: dict[str, str] = field(default_factory=dict)  # CSV: field -> column name
    role_values: dict[str, list[str]] = field(default_factory=dict)  # role -> raw values
    timestamp_format: str | None = None  # strptime format for CSV timestamps
    encoding: str | None = None  # force an encoding for text files
    delimiter: str | None = None  # force a CSV delimiter
    agent_domains: list[str] = field(default_factory=list)  # email: agent addresses/domains
    include_private: bool = False  # helpdesk: keep internal notes


class Reader(Protocol):
    name: str  # e.g. "jsonl"
    extensions: tuple[str, ...]  # lower-case, with dot, e.g. (".jsonl",)
    description: str
    fields: str  # one paragraph: the fields it reads and how they map

    def sniff(self, path: Path, head: bytes) -> bool:
        """True when the first bytes of the file look like this format."""

    def read(self, path: Path, options: IngestOptions) -> Iterator[Conversation | Rejection]:
        """Yield conversations and rejections, streaming, never raising for bad records."""


def decode_bytes(data: bytes, encoding: str | None = None) -> str:
    """Decode file bytes: a forced encoding, else UTF-8 (BOM or not), else the best guess."""
    if encoding:
        return data.decode(encoding)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:  # binary or hopeless: keep what can be kept
        return data.decode("cp1252", errors="replace")
    return str(best)


def read_text(path: Path, encoding: str | None = None) -> str:
    return decode_bytes(path.read_bytes(), encoding)


def parse_mapping(spec: str | None, what: str = "--columns") -> dict[str, str]:
    """'conversation=Ticket ID,text=Body' -> {'conversation': 'Ticket ID', 'text': 'Body'}."""
    from ..errors import QaAuditError

    result: dict[str, str] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise QaAuditError(f"{what}: '{part.strip()}' is not of the form field=value.")
        result[key.strip().lower()] = value.strip()
    return result


def parse_role_values(spec: str | None) -> dict[str, list[str]]:
    """'agent=Agent,Staff;customer=End-user' -> {'agent': ['Agent', 'Staff'], 'customer': ['End-user']}."""
    from ..errors import QaAuditError

    result: dict[str, list[str]] = {}
    for part in (spec or "").split(";"):
        if not part.strip():
            continue
        role, sep, values = part.partition("=")
        role = role.strip().lower()
        if not sep or role not in ("agent", "customer", "system", "bot"):
            raise QaAuditError(f"--roles: '{part.strip()}' must be ROLE=value[,value] with ROLE agent, customer, system or bot.")
        result[role] = [v.strip() for v in values.split(",") if v.strip()]
    return result
