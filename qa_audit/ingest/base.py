"""What every input reader is: a name, the extensions it claims, a sniff and a streaming read."""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterator, Protocol, TextIO

from charset_normalizer import from_bytes

from ..errors import QaAuditError
from ..model import Conversation, Rejection, Source


@dataclass
class IngestOptions:
    """Options that readers may use; each reader documents the ones it reads."""

    language: str | None = None  # force a language onto every conversation
    input_format: str | None = None  # force one reader by name
    columns: dict[str, str] = field(default_factory=dict)  # CSV: field -> column name
    # role -> raw values, matched case-insensitively against whatever a format calls a speaker:
    # CSV role values, transcript/subtitle speaker names, email addresses or domains, helpdesk
    # author ids/names/types, speech-to-text labels (spk_0, ch_1, participant ids).
    role_values: dict[str, list[str]] = field(default_factory=dict)
    timestamp_format: str | None = None  # strptime format for CSV timestamps
    encoding: str | None = None  # force an encoding for text files
    delimiter: str | None = None  # force a CSV delimiter (",", ";", "\t" or "tab", "|")
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


# Byte-order marks, longest first (a UTF-32 LE mark starts with the UTF-16 LE one).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Non-ASCII characters that English and German text written in Windows-1252 actually uses.
_WESTERN = set(
    "äöüÄÖÜßéèêëàáâãåæçñíìîïóòôõøúùûÿÉÈÊÀÁÂÇÑÍÓÔÚØÆ€„“”‚‘’–—…«»‹›°§´·×÷ºª¿¡©®™•†±²³µ¼½¾\xa0\xad"
)
_CHUNK = 1 << 20


def _bom_encoding(head: bytes) -> str | None:
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    return None


def _western_stats(text: str) -> tuple[int, int, bool]:
    """(non-ASCII characters, of which typical Western ones, any control character)."""
    other = [c for c in text if ord(c) > 127]
    controls = any(ord(c) < 32 and c not in "\t\n\r\f" or 127 <= ord(c) < 160 for c in text)
    return len(other), sum(1 for c in other if c in _WESTERN), controls


def _plausible_western(total: int, western: int, controls: bool) -> bool:
    return not controls and (total == 0 or western / total >= 0.8)


def decode_bytes(data: bytes, encoding: str | None = None) -> str:
    """Decode file bytes: a forced encoding, a byte-order mark, UTF-8, then Windows-1252 when
    the text reads as clean Western text (German Excel exports), else charset-normalizer's guess.

    charset-normalizer alone mis-guesses short cp1252 files (e.g. as cp1250 or mac_roman), so
    cp1252 is preferred whenever it decodes strictly and yields typical Western characters.
    """
    if encoding:
        return data.decode(encoding)
    bom = _bom_encoding(data[:4])
    if bom:  # the mark settles the encoding; a stray bad byte becomes U+FFFD
        return data.decode(bom, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = None
    if text is not None and _plausible_western(*_western_stats(text)):
        return text
    best = from_bytes(data).best()
    if best is None:  # binary or hopeless: keep what can be kept
        return data.decode("cp1252", errors="replace")
    return str(best)


def read_text(path: Path, encoding: str | None = None) -> str:
    return decode_bytes(path.read_bytes(), encoding)


@dataclass(frozen=True)
class TextEncoding:
    """The encoding to open a text file with, and whether decoding errors are possible."""

    name: str
    errors: str = "strict"  # "replace" only for a charset-normalizer guess


def detect_encoding(path: Path, encoding: str | None = None) -> TextEncoding:
    """Choose a file's encoding by streaming it (constant memory), with the rules of decode_bytes."""
    if encoding:
        try:
            return TextEncoding(codecs.lookup(encoding).name)
        except LookupError:
            raise ValueError(f"unknown encoding '{encoding}'") from None
    with path.open("rb") as fh:
        bom = _bom_encoding(fh.read(4))
        if bom:
            return TextEncoding(bom, "replace")
        fh.seek(0)
        if _decodes(fh, "utf-8"):
            return TextEncoding("utf-8")
        fh.seek(0)
        if _decodes(fh, "cp1252", western=True):
            return TextEncoding("cp1252")
        fh.seek(0)
        best = from_bytes(fh.read(_CHUNK)).best()
    return TextEncoding(best.encoding if best else "cp1252", "replace")


def _decodes(fh: BinaryIO, encoding: str, western: bool = False) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    total = typical = 0
    try:
        while chunk := fh.read(_CHUNK):
            text = decoder.decode(chunk)
            if western:
                n, w, controls = _western_stats(text)
                if controls:
                    return False
                total, typical = total + n, typical + w
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return not western or _plausible_western(total, typical, False)


def open_text(path: Path, encoding: str | None = None) -> TextIO:
    """Open a text file for streaming, newline='' (as the csv module wants), encoding detected."""
    enc = detect_encoding(path, encoding)
    return path.open("r", encoding=enc.name, errors=enc.errors, newline="")


def parse_mapping(spec: str | None, what: str = "--columns") -> dict[str, str]:
    """'conversation=Ticket ID,text=Body' -> {'conversation': 'Ticket ID', 'text': 'Body'}."""
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


class MultiFileReader(Reader, Protocol):
    """A reader whose records span files (email threads across .eml files): it receives every
    file chosen for it at once, in input order, and groups across them."""

    def read_files(self, paths: list[Path], options: IngestOptions) -> Iterator[Conversation | Rejection]:
        """Like read, for several files together."""


def head_text(head: bytes) -> str:
    """The sniffed head bytes as text, for sniffing only (never fails)."""
    bom = _bom_encoding(head[:4])
    if bom and bom != "utf-8-sig":
        return head.decode(bom, errors="ignore")
    return head.decode("utf-8-sig", errors="replace")


def load_json_file(path: Path, encoding: str | None = None):
    """The parsed JSON of a file, or a Rejection naming the line and reason (never raises for
    bad JSON or undecodable bytes)."""
    try:
        return json.loads(read_text(path, encoding))
    except json.JSONDecodeError as exc:
        return Rejection(Source(str(path), f"line {exc.lineno}"), f"invalid JSON at column {exc.colno}: {exc.msg}")
    except (UnicodeDecodeError, LookupError) as exc:
        return Rejection(Source(str(path)), f"cannot decode the file: {exc}")
