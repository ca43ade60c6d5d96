"""Amazon speech-to-text JSON: Contact Lens / Transcribe Call Analytics, and plain Transcribe jobs.

- Contact Lens and Call Analytics: `Transcript[]` turns with `ParticipantId` or
  `ParticipantRole`, `Content`, `BeginOffsetMillis`, `EndOffsetMillis`; `Participants[]` maps ids
  to AGENT / CUSTOMER. The file's own interruption records
  (`ConversationCharacteristics.Interruptions.InterruptionsByInterrupter`) are kept in
  Conversation.metadata["source_interruptions"], matched categories in ["source_categories"].
- Plain Transcribe (`jobName`, `results`): `results.audio_segments` when present, else words
  from `results.items` grouped by `speaker_labels` (a new message at each change of speaker) or
  by `channel_labels` (one stream per channel, a new message after a pause of PAUSE seconds).
  Channel ch_0 is the agent and the other channels customers; speaker labels follow
  speakers.assign_roles (spk_0, who speaks first, is the agent). --roles overrides both
  (e.g. `agent=ch_1;customer=ch_0`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from ..errors import RecordError
from ..model import Conversation, Message, Rejection, Source
from .base import IngestOptions, head_text, load_json_file
from .records import normalize_language, normalize_role, role_from_values
from .speakers import assign_roles
from .times import parse_datetime

PAUSE = 1.0  # seconds of silence in one channel that end an utterance
_MARKERS = re.compile(r'"(jobName|ParticipantRole|ParticipantId|speaker_labels|channel_labels|BeginOffsetMillis)"')


@dataclass
class _Utterance:
    label: str
    start: float | None
    end: float | None
    words: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def add(self, content: str, punctuation: bool) -> None:
        if punctuation and self.words:
            self.words[-1] += content
        else:
            self.words.append(content)

    @property
    def text(self) -> str:
        return " ".join(self.words).strip()


class AwsTranscribeReader:
    name = "aws-transcribe"
    extensions = (".json",)
    description = "Amazon Transcribe / Contact Lens / Call Analytics output JSON (timed call transcript)."
    fields = (
        "Contact Lens: Transcript[].ParticipantId/ParticipantRole (AGENT, CUSTOMER), Content, "
        "BeginOffsetMillis/EndOffsetMillis -> start/end; Participants[]; LanguageCode; interruption "
        "records kept in metadata.source_interruptions. Transcribe: results.audio_segments or "
        "results.items with speaker_labels (spk_0 = first speaker = agent) or channel_labels "
        "(ch_0 = agent); --roles overrides (agent=ch_1)."
    )

    def sniff(self, path: Path, head: bytes) -> bool:
        text = head_text(head).lstrip()
        return text.startswith("{") and bool(_MARKERS.search(text))

    def read(self, path: Path, options: IngestOptions) -> Iterator[Conversation | Rejection]:
        file = str(path)
        data = load_json_file(path, options.encoding)
        if isinstance(data, Rejection):
            yield data
            return
        try:
            if isinstance(data, dict) and isinstance(data.get("Transcript"), list):
                yield from _contact_lens(data, path, options)
            elif isinstance(data, dict) and isinstance(data.get("results"), dict):
                yield _transcribe(data, path, options)
            else:
                yield Rejection(Source(file), "not Amazon Transcribe output: neither a Contact Lens 'Transcript' list nor a 'results' object")
        except RecordError as exc:
            yield Rejection(Source(file), str(exc), path.stem)


# --- Contact Lens / Call Analytics -------------------------------------------------------

def _contact_lens(data: dict, path: Path, options: IngestOptions) -> Iterator[Conversation | Rejection]:
    file = str(path)
    participants = {
        str(p.get("ParticipantId")): str(p.get("ParticipantRole") or "")
        for p in data.get("Participants") or [] if isinstance(p, dict)
    }
    chat = str(data.get("Channel") or "").upper() == "CHAT"
    turns: list[tuple[float, Message]] = []
    for i, turn in enumerate(data["Transcript"]):
        where = f"Transcript[{i}]"
        try:
            message = _turn(turn, where, participants, options)
        except RecordError as exc:
            yield Rejection(Source(file, where), str(exc))
            continue
        turns.append((message.start if message.start is not None else float(i), message))
    if not turns:
        raise RecordError("the Contact Lens transcript holds no turns")
    turns.sort(key=lambda pair: pair[0])
    messages = [m for _, m in turns]
    for index, message in enumerate(messages):
        message.index = index
    customer = data.get("CustomerMetadata") or {}
    conv_id = customer.get("ContactId") or data.get("JobName") or path.stem
    yield Conversation(
        id=str(conv_id),
        messages=messages,
        channel="chat" if chat else "call",
        language=normalize_language(data.get("LanguageCode"), "LanguageCode"),
        metadata={
            "source_format": "contact-lens",
            "source_interruptions": _interruptions(data, messages),
            "source_categories": _categories(data),
        },
        source=Source(file),
    )


def _turn(turn: Any, where: str, participants: dict[str, str], options: IngestOptions) -> Message:
    if not isinstance(turn, dict):
        raise RecordError(f"{where} is not an object")
    content = turn.get("Content")
    if not isinstance(content, str) or not content.strip():
        raise RecordError(f"{where} has no Content")
    pid = str(turn.get("ParticipantId") or turn.get("ParticipantRole") or "")
    raw_role = turn.get("ParticipantRole") or participants.get(pid) or pid
    role = role_from_values(pid, options.role_values) or role_from_values(raw_role, options.role_values) or normalize_role(raw_role)
    start, end = (_millis(turn.get(k), k, where) for k in ("BeginOffsetMillis", "EndOffsetMillis"))
    if start is not None and end is not None and end < start:
        raise RecordError(f"{where} ends before it starts")
    timestamp = None
    if turn.get("AbsoluteTime"):
        try:
            timestamp = parse_datetime(turn["AbsoluteTime"])
        except ValueError as exc:
            raise RecordError(f"{where}: AbsoluteTime {exc}") from None
    meta = {k: turn[k] for k in ("Id", "Sentiment") if k in turn}
    meta["participant"] = pid
    return Message(index=0, role=role, text=content.strip(), author="", timestamp=timestamp,
                   start=start, end=end, metadata=meta)


def _millis(value: Any, name: str, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RecordError(f"{where}: {name} must be a number of milliseconds, got {value!r}")
    return value / 1000.0


def _interruptions(data: dict, messages: list[Message]) -> list[dict[str, Any]]:
    """The file's own interruption records, each tied to the interrupter's message when one covers it."""
    block = ((data.get("ConversationCharacteristics") or {}).get("Interruptions") or {})
    records = []
    for interrupter, items in sorted((block.get("InterruptionsByInterrupter") or {}).items()):
        for item in items or []:
            if not isinstance(item, dict):
                continue
            start = item.get("BeginOffsetMillis")
            end = item.get("EndOffsetMillis")
            duration = item.get("DurationMillis")
            record: dict[str, Any] = {
                "interrupter": normalize_role(interrupter),
                "start": None if start is None else start / 1000.0,
                "end": None if end is None else end / 1000.0,
                "duration": (duration / 1000.0) if isinstance(duration, (int, float))
                else (None if start is None or end is None else (end - start) / 1000.0),
                "message_index": None,
            }
            if record["start"] is not None:
                record["message_index"] = _covering(messages, record["interrupter"], record["start"])
            records.append(record)
    records.sort(key=lambda r: (r["start"] is None, r["start"] or 0.0))
    return records


def _covering(messages: list[Message], role: str, at: float) -> int | None:
    """Index of the message of this role that is being spoken at `at` (or starts within 1 s)."""
    for message in messages:
        if message.role == role and message.start is not None and message.end is not None \
                and message.start - 1.0 <= at <= message.end:
            return message.index
    return None


def _categories(data: dict) -> dict[str, list[dict[str, float]]]:
    categories = data.get("Categories") or {}
    details = categories.get("MatchedDetails") or {}
    result: dict[str, list[dict[str, float]]] = {}
    for name in categories.get("MatchedCategories") or []:
        points = (details.get(name) or {}).get("PointsOfInterest") or []
        result[str(name)] = [
            {"start": p["BeginOffsetMillis"] / 1000.0, "end": p["EndOffsetMillis"] / 1000.0}
            for p in points if isinstance(p, dict) and "BeginOffsetMillis" in p and "EndOffsetMillis" in p
        ]
    return result


# --- plain Transcribe ----------------------------------------------------------------------

def _transcribe(data: dict, path: Path, options: IngestOptions) -> Conversation:
    results = data["results"]
    if results.get("audio_segments"):
        utterances, kind = _from_segments(results["audio_segments"]), "audio_segments"
    elif isinstance(results.get("channel_labels"), dict):
        utterances, kind = _from_channels(results["channel_labels"]), "channel_labels"
    elif isinstance(results.get("speaker_labels"), dict) or any(
            isinstance(i, dict) and i.get("speaker_label") for i in results.get("items") or []):
        utterances, kind = _from_speakers(results), "speaker_labels"
    else:
        raise RecordError("the Transcribe job has no speaker_labels or channel_labels: run it with "
                          "speaker or channel identification so agent and customer can be told apart")
    utterances = [u for u in utterances if u.text]
    if not utterances:
        raise RecordError("the Transcribe job holds no words")
    utterances.sort(key=lambda u: u.start if u.start is not None else 0.0)
    roles = _label_roles([u.label for u in utterances], options)
    messages = [
        Message(index=i, role=roles[u.label][0], text=u.text, author="", start=u.start, end=u.end,
                metadata={"speaker": u.label, **u.meta})
        for i, u in enumerate(utterances)
    ]
    language = results.get("language_code") or data.get("language_code")
    return Conversation(
        id=str(data.get("jobName") or path.stem),
        messages=messages,
        channel="call",
        language=normalize_language(language, "language_code"),
        metadata={"source_format": f"transcribe ({kind})",
                  "role_resolution": {label: how for label, (_, how) in roles.items()}},
        source=Source(str(path)),
    )


def _label_roles(labels: list[str], options: IngestOptions) -> dict[str, tuple[str, str]]:
    ordered = list(dict.fromkeys(labels))
    if all(label.startswith("ch_") for label in ordered):
        result = {}
        for label in ordered:
            mapped = role_from_values(label, options.role_values)
            if mapped:
                result[label] = (mapped, "--roles")
            else:
                result[label] = ("agent", "ch_0 is the agent") if label == "ch_0" else ("customer", "channels other than ch_0 are customers")
        return result
    return assign_roles(ordered, options.role_values)


def _seconds(value: Any) -> float | None:
    try:
        return None if value in (None, "") else float(value)
    except (TypeError, ValueError):
        return None


def _word(item: dict) -> tuple[str, bool] | None:
    alternatives = item.get("alternatives") or []
    content = alternatives[0].get("content") if alternatives and isinstance(alternatives[0], dict) else None
    if not isinstance(content, str) or not content:
        return None
    return content, item.get("type") == "punctuation"


def _from_segments(segments: list) -> list[_Utterance]:
    result = []
    for segment in segments:
        if not isinstance(segment, dict):
            continue
        label = str(segment.get("speaker_label") or segment.get("channel_label") or "")
        utterance = _Utterance(label, _seconds(segment.get("start_time")), _seconds(segment.get("end_time")),
                               meta={"segment": segment.get("id")})
        utterance.words = [str(segment.get("transcript") or "").strip()]
        result.append(utterance)
    return result


def _from_speakers(results: dict) -> list[_Utterance]:
    by_time = {}  # older outputs give the speaker per word only inside speaker_labels.segments
    for segment in (results.get("speaker_labels") or {}).get("segments") or []:
        for item in segment.get("items") or []:
            by_time[str(item.get("start_time"))] = str(item.get("speaker_label") or segment.get("speaker_label"))
    utterances: list[_Utterance] = []
    label = ""
    for item in results.get("items") or []:
        if not isinstance(item, dict) or (word := _word(item)) is None:
            continue
        content, punctuation = word
        if not punctuation:
            label = str(item.get("speaker_label") or by_time.get(str(item.get("start_time"))) or label)
        start, end = _seconds(item.get("start_time")), _seconds(item.get("end_time"))
        if not utterances or (not punctuation and utterances[-1].label != label):
            utterances.append(_Utterance(label, start, end))
        current = utterances[-1]
        current.add(content, punctuation)
        if end is not None:
            current.end = end
        if current.start is None:
            current.start = start
    return utterances


def _from_channels(channel_labels: dict) -> list[_Utterance]:
    utterances: list[_Utterance] = []
    for channel in channel_labels.get("channels") or []:
        label = str(channel.get("channel_label") or "")
        current: _Utterance | None = None
        for item in channel.get("items") or []:
            if not isinstance(item, dict) or (word := _word(item)) is None:
                continue
            content, punctuation = word
            start, end = _seconds(item.get("start_time")), _seconds(item.get("end_time"))
            pause = (start is not None and current is not None and current.end is not None and start - current.end >= PAUSE)
            if current is None or (not punctuation and pause):
                current = _Utterance(label, start, end)
                utterances.append(current)
            current.add(content, punctuation)
            if end is not None:
                current.end = end
    return utterances
