"""Email: .eml files and mbox archives, grouped into threads, one thread = one conversation.

Threads: Message-ID / In-Reply-To / References link messages across every .eml and mbox file of
the run (the reader gets all of them at once). A message without those headers whose subject is
a reply or forward ("Re:", "AW:", "WG:", "Fwd:", …) joins the thread with the same normalised
subject that shares an address with it. The same Message-ID read twice (inbox and sent folder)
counts once.

Bodies: the text/plain part, else the HTML part as text; any charset. Quoted history and
signatures are removed (email_clean), so nothing is audited twice.

Roles, decided per thread and recorded in metadata["role_resolution"] (address -> how):
1. --roles values matched against the sender address, its domain ("shop.example" or
   "@shop.example") or display name;
2. --agent-domain: senders at those domains or addresses are agents, everyone else customers;
3. otherwise a service address (support@, service@, kundenservice@, help@, …) marks its domain as
   the agents' domain for the thread;
4. otherwise the thread's first sender is the customer, senders from other domains are agents
   and senders from the customer's domain are customers.
"""

from __future__ import annotations

import mailbox
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Iterator

from ..errors import RecordError
from ..model import Conversation, Message, Rejection, Source
from .base import IngestOptions, decode_bytes, head_text
from .email_clean import clean_body, unwrap
from .html_text import html_to_text
from .records import normalize_language, role_from_values
from .times import as_aware

_REPLY_PREFIX = re.compile(r"^\s*((re|aw|antw|antwort|wg|fw|fwd|wtr|sv|vs|tr|rif)\s*(\[\d+\])?\s*:\s*)+", re.I)
_ID = re.compile(r"<([^<>\s]+)>")
_HEADER_LINE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,40}:[ \t]")
_MAIL_HEADERS = ("from:", "message-id:", "received:", "return-path:", "mime-version:", "subject:", "date:", "to:")
SERVICE_LOCALPARTS = {
    "support", "service", "help", "helpdesk", "hilfe", "kundenservice", "kundendienst", "kundensupport",
    "care", "customercare", "customerservice", "customer-service", "customer.service", "serviceteam",
    "service-team", "cs",
}  # not info@, team@ or contact@: customers' companies write from those too
_FAR_FUTURE = datetime.max.replace(tzinfo=timezone.utc)


@dataclass
class _Mail:
    seq: int
    file: str
    position: str
    message_id: str
    refs: list[str]
    subject: str
    sender: str  # address, lower-case
    name: str
    addresses: set[str]
    date: datetime | None
    text: str
    language: str | None

    @property
    def topic(self) -> str:
        return " ".join(_REPLY_PREFIX.sub("", self.subject).lower().split())

    @property
    def is_reply(self) -> bool:
        return bool(_REPLY_PREFIX.match(self.subject))

    @property
    def sort_key(self) -> tuple[datetime, int]:
        return as_aware(self.date) or _FAR_FUTURE, self.seq


@dataclass
class _Threads:
    parent: dict[str, str] = field(default_factory=dict)

    def find(self, key: str) -> str:
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)  # deterministic root


class EmailReader:
    name = "email"
    extensions = (".eml", ".mbox", ".mbx")
    description = "Email: .eml files and mbox archives, threaded across files; quoted history and signatures removed."
    fields = (
        "Message-ID, In-Reply-To, References (threads; fallback: normalised subject), From (author; "
        "role by --agent-domain, --roles, a service address such as support@, else first sender = "
        "customer), Date -> timestamp, Subject, Content-Language; text/plain or HTML body as text."
    )

    def sniff(self, path: Path, head: bytes) -> bool:
        lines = head_text(head).splitlines()[:30]
        if lines and lines[0].startswith("From "):
            lines = lines[1:]
        headers = [line.lower() for line in lines if _HEADER_LINE.match(line)]
        return len(headers) >= 3 and sum(1 for h in headers if h.startswith(_MAIL_HEADERS)) >= 2

    def read(self, path: Path, options: IngestOptions) -> Iterator[Conversation | Rejection]:
        yield from self.read_files([path], options)

    def read_files(self, paths: list[Path], options: IngestOptions) -> Iterator[Conversation | Rejection]:
        mails: list[_Mail] = []
        for path in paths:
            for item in _read_file(path):
                if isinstance(item, Rejection):
                    yield item
                else:
                    item.seq = len(mails)
                    mails.append(item)
        yield from _conversations(mails, options)


def _read_file(path: Path) -> Iterator[_Mail | Rejection]:
    file = str(path)
    try:
        with path.open("rb") as fh:
            first = fh.readline()
    except OSError as exc:
        yield Rejection(Source(file), f"cannot read the file: {exc.strerror or exc}")
        return
    if first.startswith(b"From "):
        yield from _read_mbox(path)
        return
    if path.suffix.lower() in (".mbox", ".mbx"):
        yield Rejection(Source(file), "not an mbox archive: the first line must start with 'From '")
        return
    with path.open("rb") as fh:
        message = BytesParser(policy=policy.default).parse(fh)
    yield _safe_mail(message, file, "", 0)


def _read_mbox(path: Path) -> Iterator[_Mail | Rejection]:
    file = str(path)
    box = mailbox.mbox(file, factory=lambda fh: BytesParser(policy=policy.default).parse(fh), create=False)
    try:
        keys = list(box.iterkeys())
        if not keys:
            yield Rejection(Source(file), "the mbox archive holds no message")
        for number, key in enumerate(keys, start=1):
            yield _safe_mail(box[key], file, f"message {number}", number)
    finally:
        box.close()


def _safe_mail(message: EmailMessage, file: str, position: str, seq: int) -> _Mail | Rejection:
    try:
        return _mail(message, file, position, seq)
    except RecordError as exc:
        return Rejection(Source(file, position), str(exc))


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a header too broken for the parser
        raw = message.get_all(name, failobj=[""])
        value = raw[0] if raw else ""
    return str(value or "").strip()


def _mail(message: EmailMessage, file: str, position: str, seq: int) -> _Mail:
    sender, name, addresses = _addresses(message)
    if not sender:
        if not any(_header(message, h) for h in ("Subject", "Date", "Message-ID")):
            raise RecordError("not an email message: no From, Subject, Date or Message-ID header")
        raise RecordError("the email has no readable From address")
    message_ids = _ID.findall(_header(message, "Message-ID"))
    refs = _ID.findall(_header(message, "References")) + _ID.findall(_header(message, "In-Reply-To"))
    try:
        language = normalize_language((_header(message, "Content-Language").split(",") or [""])[0])
    except RecordError:
        language = None
    return _Mail(
        seq=seq,
        file=file,
        position=position,
        message_id=message_ids[0] if message_ids else f"{Path(file).name}#{position or seq}",
        refs=list(dict.fromkeys(r for r in refs if r not in message_ids)),
        subject=_header(message, "Subject"),
        sender=sender,
        name=name,
        addresses=addresses,
        date=_date(message),
        text=_text(message),
        language=language,
    )


def _addresses(message: EmailMessage) -> tuple[str, str, set[str]]:
    sender, name, everyone = "", "", set()
    for header in ("From", "To", "Cc", "Reply-To"):
        try:
            value = message.get(header)
            found = list(getattr(value, "addresses", ()) or ())
        except (ValueError, IndexError, TypeError, AttributeError):
            found = []
        for address in found:
            addr = (address.addr_spec or "").strip().lower()
            if not addr or addr == "<>":
                continue
            everyone.add(addr)
            if header == "From" and not sender:
                sender, name = addr, (address.display_name or "").strip()
    return sender, name, everyone


def _date(message: EmailMessage) -> datetime | None:
    try:
        value = message.get("Date")
        return getattr(value, "datetime", None)
    except (ValueError, IndexError, TypeError, OverflowError):
        return None


def _text(message: EmailMessage) -> str:
    """What the sender wrote: quoted history and signature removed, hard-wrapped plain text joined."""
    body, kind = _body(message)
    text = clean_body(body)
    return unwrap(text) if kind == "plain" else text


def _body(message: EmailMessage) -> tuple[str, str]:
    """(body text, 'plain' or 'html'): the text/plain part, else the HTML part as text."""
    for kind in ("plain", "html"):
        try:
            part = message.get_body(preferencelist=(kind,))
        except (KeyError, LookupError, ValueError):
            part = None
        if part is None:
            continue
        text = _content(part)
        if kind == "html":
            text = html_to_text(text)
        if text.strip():
            return text, kind
    return "", ""


def _content(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError, AssertionError):  # unknown or lying charset
        content = decode_bytes(part.get_payload(decode=True) or b"")
    return content if isinstance(content, str) else decode_bytes(content)


def _thread(mails: list[_Mail]) -> list[list[_Mail]]:
    """Threads in order of their first message, each sorted by date."""
    threads = _Threads()
    unique: dict[str, _Mail] = {}
    for mail in mails:
        if mail.message_id in unique:
            continue  # the same message from a second folder
        unique[mail.message_id] = mail
        threads.find(mail.message_id)
        for ref in mail.refs:
            threads.union(mail.message_id, ref)
    ordered = sorted(unique.values(), key=lambda m: m.sort_key)
    for mail in ordered:  # subject fallback, for replies whose client dropped the headers
        if mail.refs or not mail.is_reply or not mail.topic:
            continue
        for other in ordered:
            if other is mail or other.sort_key >= mail.sort_key:
                break
            if other.topic == mail.topic and other.addresses & mail.addresses:
                threads.union(mail.message_id, other.message_id)
                break
    groups: dict[str, list[_Mail]] = {}
    for mail in ordered:
        groups.setdefault(threads.find(mail.message_id), []).append(mail)
    return sorted(groups.values(), key=lambda group: group[0].sort_key)


def _conversations(mails: list[_Mail], options: IngestOptions) -> Iterator[Conversation | Rejection]:
    for group in _thread(mails):
        root = group[0]
        source = Source(root.file, root.position)
        kept = [m for m in group if m.text]
        if not kept:
            yield Rejection(source, f"email thread '{root.subject}' has no text after removing quoted history and signatures", root.message_id)
            continue
        roles = _roles(group, options)
        messages = [
            Message(index=i, role=roles[m.sender][0], text=m.text, author=m.name or m.sender, timestamp=m.date,
                    metadata={"message_id": m.message_id, "from": m.sender, "subject": m.subject,
                              "file": m.file, **({"position": m.position} if m.position else {})})
            for i, m in enumerate(kept)
        ]
        metadata = {
            "subject": _REPLY_PREFIX.sub("", root.subject).strip(),
            "role_resolution": {addr: how for addr, (_, how) in sorted(roles.items())},
            "files": sorted({m.file for m in group}),
        }
        if len(kept) < len(group):
            metadata["skipped_empty_messages"] = len(group) - len(kept)
        yield Conversation(
            id=root.message_id,
            messages=messages,
            channel="email",
            language=next((m.language for m in group if m.language), None),
            started_at=next((m.date for m in group if m.date), None),
            metadata=metadata,
            source=source,
        )


def _domain(address: str) -> str:
    return address.rpartition("@")[2]


def _matches(address: str, entries: list[str]) -> bool:
    domain = _domain(address)
    for entry in entries:
        entry = entry.strip().lower()
        if not entry:
            continue
        if "@" in entry and not entry.startswith("@"):
            if address == entry:
                return True
            continue
        entry = entry.lstrip("@")
        if domain == entry or domain.endswith("." + entry):
            return True
    return False


def _roles(group: list[_Mail], options: IngestOptions) -> dict[str, tuple[str, str]]:
    """sender address -> (role, how it was decided), for every sender of one thread."""
    senders = list(dict.fromkeys(m.sender for m in group))
    names = {m.sender: m.name for m in group}
    result: dict[str, tuple[str, str]] = {}
    for sender in senders:
        for value in (sender, _domain(sender), "@" + _domain(sender), names.get(sender)):
            mapped = role_from_values(value, options.role_values) if value else None
            if mapped:
                result[sender] = (mapped, "--roles")
                break
    rest = [s for s in senders if s not in result]
    if options.agent_domains:
        for sender in rest:
            result[sender] = ("agent", "--agent-domain") if _matches(sender, options.agent_domains) \
                else ("customer", "not an --agent-domain address")
        return result
    service = sorted({_domain(s) for s in senders if s.partition("@")[0] in SERVICE_LOCALPARTS})
    if service:
        for sender in rest:
            result[sender] = ("agent", "service address domain") if _domain(sender) in service \
                else ("customer", "not the service address domain")
        return result
    first = next((s for s in senders if result.get(s, ("",))[0] == "customer"), rest[0] if rest else "")
    for sender in rest:
        same = _domain(sender) == _domain(first)
        result[sender] = ("customer", "first sender's domain") if same else ("agent", "other domain than the first sender")
    return result
