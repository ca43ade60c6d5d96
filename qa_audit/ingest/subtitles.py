"""Timed call transcripts as subtitles: WebVTT with <v Speaker> voices, SRT with 'Speaker:' prefixes.

One file is one call. Each cue becomes an utterance with start/end seconds; consecutive cues of
the same speaker less than MERGE_GAP seconds apart are one message when the first cue stops
mid-sentence (subtitles split long sentences into short cues). A cue without a speaker continues the previous cue's speaker; a cue holding two
speakers ("- Kunde: …" / "- Mitarbeiterin: …", or two <v> spans) is split, each part getting a
share of the cue's time in proportion to its text length. Roles follow
speakers.assign_roles. A cue that cannot be read is rejected on its own ("cue 7 (line 31)");
a file with no readable cue is rejected as a whole.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..errors import RecordError
from ..model import Conversation, Message, Rejection, Source
from .base import IngestOptions, head_text, read_text
from .records import ROLE_SYNONYMS, name_without_role, normalize_language
from .speakers import assign_roles
from .times import parse_clock

MERGE_GAP = 1.0  # seconds between two cues of one speaker that still make one message
_SENTENCE_END = re.compile(r"[.!?…]['\"»“”)]*$")  # a cue ending a sentence is a message of its own

_TIME = r"(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}"
_TIMING = re.compile(rf"^\s*(?P<start>{_TIME})\s+-->\s+(?P<end>{_TIME})(?:\s+.*)?$")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?(?:\s+(?P<name>[^>]*))?>", re.I)
_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")
_PREFIX = re.compile(r"^\s*(?:>>\s*)?(?:\[(?P<bracket>[^\]]{1,40})\]\s*|(?P<label>[^\s:][^:]{0,39}?)\s*:\s+)(?P<text>.*)$")


@dataclass
class _Cue:
    number: int
    line: int
    start: float
    end: float
    speaker: str  # "" when the cue names nobody
    text: str
    ident: str = ""


@dataclass
class _Parsed:
    cues: list[_Cue] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    language: str | None = None


class VttReader:
    name = "vtt"
    extensions = (".vtt",)
    description = "WebVTT call transcript: cues with <v Speaker> voice tags (or 'Speaker:' prefixes)."
    fields = (
        "Cue times -> start/end seconds; <v Name> or 'Name:' -> author and role (role words such as "
        "Agent/Support/Mitarbeiterin or Customer/Caller/Kunde, else --roles, else the first speaker "
        "is the agent); header 'Language: de' -> language. Channel call, id = file name."
    )

    def sniff(self, path: Path, head: bytes) -> bool:
        return head_text(head).lstrip().startswith("WEBVTT")

    def read(self, path: Path, options: IngestOptions) -> Iterator[Conversation | Rejection]:
        yield from _read(path, options, _parse_vtt)


class SrtReader:
    name = "srt"
    extensions = (".srt",)
    description = "SRT call transcript: numbered cues whose text starts with 'Speaker:'."
    fields = (
        "Cue times (hh:mm:ss,mmm) -> start/end seconds; 'Name: text', '[Name] text' or '- Name: text' "
        "(two speakers in one cue) -> author and role, as for vtt. Channel call, id = file name."
    )

    def sniff(self, path: Path, head: bytes) -> bool:
        lines = [line.strip() for line in head_text(head).splitlines() if line.strip()][:2]
        return len(lines) == 2 and lines[0].isdigit() and bool(_TIMING.match(lines[1]))

    def read(self, path: Path, options: IngestOptions) -> Iterator[Conversation | Rejection]:
        yield from _read(path, options, _parse_srt)


def _read(path: Path, options: IngestOptions, parse) -> Iterator[Conversation | Rejection]:
    file = str(path)
    try:
        text = read_text(path, options.encoding)
    except (OSError, UnicodeDecodeError, LookupError) as exc:
        yield Rejection(Source(file), f"cannot read the file: {exc}")
        return
    try:
        parsed = parse(text.replace("\r\n", "\n").replace("\r", "\n"), file)
    except RecordError as exc:
        yield Rejection(Source(file), str(exc), path.stem)
        return
    yield from parsed.rejections
    if not parsed.cues:
        if not parsed.rejections:
            yield Rejection(Source(file), "the file holds no cue with text", path.stem)
        return
    try:
        language = normalize_language(parsed.language, "header Language")
    except RecordError as exc:
        yield Rejection(Source(file), str(exc), path.stem)
        return
    yield _conversation(parsed.cues, path, language, options)


def _blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number of the block's first line, its lines), blocks separated by blank lines."""
    block: list[str] = []
    first = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            if not block:
                first = number
            block.append(line)
        elif block:
            yield first, block
            block = []
    if block:
        yield first, block


def _parse_vtt(text: str, file: str) -> _Parsed:
    if not text.lstrip("\ufeff").startswith("WEBVTT"):
        raise RecordError("not a WebVTT file: the first line must be 'WEBVTT'")
    parsed = _Parsed()
    previous = ""
    number = 0
    for index, (line_no, lines) in enumerate(_blocks(text)):
        if index == 0:  # the header block: WEBVTT line, then "Key: value" metadata
            for line in lines[1:]:
                key, _, value = line.partition(":")
                if key.strip().lower() == "language":
                    parsed.language = value.strip()
            continue
        if lines[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        number += 1
        timing_at = 0 if "-->" in lines[0] else 1
        ident = lines[0].strip() if timing_at else ""
        try:
            start, end = _timing(lines[timing_at] if timing_at < len(lines) else "", number, line_no + timing_at)
        except RecordError as exc:
            parsed.rejections.append(Rejection(Source(file, f"cue {number} (line {line_no})"), str(exc)))
            continue
        previous = _add_cue(parsed, _vtt_voices(" ".join(lines[timing_at + 1:])), number, line_no, start, end, ident, previous)
    return parsed


def _add_cue(parsed: _Parsed, voices: list[tuple[str, str]], number: int, line_no: int, start: float, end: float,
             ident: str, previous: str) -> str:
    """Add one cue; several speakers in one cue share its time in proportion to their text length.
    Returns the last speaker (a cue naming nobody continues it)."""
    voices = [(speaker, words) for speaker, words in voices if words]
    total = sum(len(words) for _, words in voices) or 1
    at = start
    for i, (speaker, words) in enumerate(voices):
        speaker = speaker or previous
        previous = speaker
        until = end if i == len(voices) - 1 else at + (end - start) * len(words) / total
        parsed.cues.append(_Cue(number, line_no, round(at, 3), round(until, 3), speaker, words, ident))
        at = until
    return previous


def _vtt_voices(payload: str) -> list[tuple[str, str]]:
    """[(speaker, text)] for one cue's payload: each <v Name> span, or a 'Name:' prefix."""
    spans = list(_VOICE.finditer(payload))
    if not spans:
        return [_prefixed(_clean(payload))]
    result = []
    for i, match in enumerate(spans):
        stop = spans[i + 1].start() if i + 1 < len(spans) else len(payload)
        result.append(((match["name"] or "").strip(), _clean(payload[match.end():stop])))
    return result


def _parse_srt(text: str, file: str) -> _Parsed:
    parsed = _Parsed()
    previous = ""
    blocks = list(_blocks(text.lstrip("\ufeff")))
    if not any(_TIMING.match(line) for _, lines in blocks for line in lines[:2]):
        raise RecordError("not an SRT file: no cue with a 'hh:mm:ss,mmm --> hh:mm:ss,mmm' line")
    for number, (line_no, lines) in enumerate(blocks, start=1):
        timing_at = 1 if lines[0].strip().isdigit() else 0
        try:
            start, end = _timing(lines[timing_at] if timing_at < len(lines) else "", number, line_no + timing_at)
        except RecordError as exc:
            parsed.rejections.append(Rejection(Source(file, f"cue {number} (line {line_no})"), str(exc)))
            continue
        ident = lines[0].strip() if timing_at else ""
        previous = _add_cue(parsed, _srt_speakers(lines[timing_at + 1:]), number, line_no, start, end, ident, previous)
    return parsed


def _srt_speakers(lines: list[str]) -> list[tuple[str, str]]:
    """A cue's lines; lines starting with '- ' are separate speakers ('- Agent: …' / '- Kunde: …')."""
    if sum(1 for line in lines if line.lstrip().startswith("-")) >= 2:
        return [_prefixed(_clean(line.lstrip()[1:])) for line in lines if line.strip()]
    return [_prefixed(_clean(" ".join(lines)))]


def _prefixed(text: str) -> tuple[str, str]:
    match = _PREFIX.match(text)
    if match:
        label = (match["bracket"] or match["label"] or "").strip()
        if _speaker_label(label):
            return label, match["text"].strip()
    return "", text


def _speaker_label(label: str) -> bool:
    """'Agent', 'Anna Weber', 'Kai Brenner (Mitarbeiter)' — not a sentence such as 'Also: …'."""
    words = label.replace("(", " ").replace(")", " ").split()
    return 0 < len(words) <= 4 and all(w[0].isupper() or w[0].isdigit() or w.casefold() in ROLE_SYNONYMS for w in words)


def _clean(text: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", text)).replace("\u200e", "").replace("\u200f", "").split())


def _timing(line: str, number: int, line_no: int) -> tuple[float, float]:
    match = _TIMING.match(line)
    if not match:
        raise RecordError(f"cue {number} has no valid timing line (expected 'hh:mm:ss.mmm --> hh:mm:ss.mmm' at line {line_no})")
    start, end = parse_clock(match["start"]), parse_clock(match["end"])
    if end < start:
        raise RecordError(f"cue {number} ends ({end:.3f} s) before it starts ({start:.3f} s)")
    return start, end


def _conversation(cues: list[_Cue], path: Path, language: str | None, options: IngestOptions) -> Conversation:
    cues = sorted(cues, key=lambda c: c.start)  # stable: cues of equal start keep file order
    speakers = list(dict.fromkeys(c.speaker for c in cues if c.speaker))
    roles = assign_roles(speakers, options.role_values)
    messages: list[Message] = []
    for cue in cues:
        last = messages[-1] if messages else None
        if last is not None and last.metadata["speaker"] == cue.speaker and cue.start - (last.end or 0) < MERGE_GAP \
                and not _SENTENCE_END.search(last.text):
            last.text += " " + cue.text
            last.end = max(last.end or cue.end, cue.end)
            last.metadata["cues"].append(cue.number)
            continue
        role = roles[cue.speaker][0] if cue.speaker else "unknown"
        author = name_without_role(cue.speaker)  # "Agent Tom" -> "Tom"; "Kunde" names nobody
        messages.append(Message(
            index=len(messages), role=role, text=cue.text, author=author,
            start=cue.start, end=cue.end, metadata={"speaker": cue.speaker, "cues": [cue.number]},
        ))
    return Conversation(
        id=path.stem,
        messages=messages,
        channel="call",
        language=language,
        metadata={"role_resolution": {s: how for s, (_, how) in roles.items()}},
        source=Source(str(path)),
    )
