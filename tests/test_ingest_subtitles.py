"""WebVTT and SRT calls: voices and prefixes, cue times, overlaps kept, merged cues, bad cues."""

from pathlib import Path

from qa_audit.ingest.base import IngestOptions, parse_role_values
from qa_audit.ingest.subtitles import SrtReader, VttReader
from qa_audit.model import Conversation, Rejection

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


def overlap(agent, customer) -> float:
    return customer.end - agent.start


def test_vtt_voices_roles_times_and_an_agent_overlap():
    [conv] = list(VttReader().read(FIXTURES / "call_en.vtt", IngestOptions()))
    assert isinstance(conv, Conversation)
    assert (conv.id, conv.channel, conv.language) == ("call_en", "call", "en")
    assert [m.role for m in conv.messages] == ["agent", "customer", "agent", "customer", "agent"]
    assert conv.messages[0].author == "Tom"
    assert conv.messages[0].text == "Thank you for calling Acme billing, this is Tom. How can I help you today?"
    customer, agent = conv.messages[1], conv.messages[2]
    assert (customer.start, customer.end) == (4.8, 9.9)
    assert agent.start < customer.end and overlap(agent, customer) >= 0.5
    assert "that's our policy" in agent.text
    merged = conv.messages[3]  # two cues of the customer 0.1 s apart are one message
    assert merged.text == "You're not even letting me finish."
    assert (merged.start, merged.end) == (13.4, 16.0) and merged.metadata["cues"] == [4, 5]
    assert conv.messages[4].text.startswith("I'm sorry.")  # &apos; decoded
    assert conv.metadata["role_resolution"] == {"Agent Tom": "speaker name", "Customer": "speaker name"}


def test_srt_prefixes_german_roles_overlap_and_two_speaker_cue():
    [conv] = list(SrtReader().read(FIXTURES / "call_de.srt", IngestOptions()))
    assert conv.channel == "call"
    assert [m.role for m in conv.messages] == ["agent", "customer", "agent", "customer", "agent", "agent"]
    assert conv.messages[0].text == "Guten Tag, Möbel-Haus Kundenservice, Sie sprechen mit Anna Weber."
    customer, agent = conv.messages[1], conv.messages[2]
    assert (customer.start, customer.end) == (5.0, 11.2)
    assert agent.start == 10.4 and overlap(agent, customer) >= 0.5
    assert agent.text == "Das ist unsere Richtlinie, Liefertermine sind unverbindlich."
    ask, sorry = conv.messages[3], conv.messages[4]  # "- Kunde: …" / "- Mitarbeiterin: …" share cue 4
    assert ask.text == "Lassen Sie mich bitte ausreden!" and sorry.text == "Entschuldigung."
    assert ask.start == 14.5 and sorry.end == 17.0 and ask.end == sorry.start  # split, no overlap
    assert conv.messages[5].start == 18.6


def test_unnamed_speakers_first_is_agent_unless_roles_say_otherwise(tmp_path):
    path = tmp_path / "zoom.vtt"
    path.write_text(
        "WEBVTT\n\n00:01.000 --> 00:03.000\nMaria Lopez: Hello, Acme support.\n\n"
        "00:03.500 --> 00:05.000\nPaul Green: Hi, my order is late.\n",
        encoding="utf-8",
    )
    [conv] = list(VttReader().read(path, IngestOptions()))
    assert [(m.role, m.author) for m in conv.messages] == [("agent", "Maria Lopez"), ("customer", "Paul Green")]
    assert conv.metadata["role_resolution"] == {"Maria Lopez": "first speaker", "Paul Green": "other speaker"}
    [swapped] = list(VttReader().read(path, IngestOptions(role_values=parse_role_values("agent=Paul Green"))))
    assert [m.role for m in swapped.messages] == ["customer", "agent"]


def test_bad_cue_is_rejected_alone(tmp_path):
    path = tmp_path / "call.srt"
    path.write_text(
        "1\n00:00:01,000 --> 00:00:02,000\nAgent: Hello.\n\n"
        "2\n00:00:03,000 -> 00:00:04,000\nCustomer: broken arrow\n\n"
        "3\n00:00:05,000 --> 00:00:06,000\nCustomer: Hi.\n",
        encoding="utf-8",
    )
    items = list(SrtReader().read(path, IngestOptions()))
    assert isinstance(items[0], Rejection) and items[0].source.position == "cue 2 (line 5)"
    assert "no valid timing line" in items[0].reason
    assert [m.text for m in items[1].messages] == ["Hello.", "Hi."]


def test_malformed_files_are_rejected_whole():
    [vtt] = list(VttReader().read(FIXTURES / "broken.vtt", IngestOptions()))
    assert isinstance(vtt, Rejection) and vtt.reason == "not a WebVTT file: the first line must be 'WEBVTT'"
    [srt] = list(SrtReader().read(FIXTURES / "broken.srt", IngestOptions()))
    assert isinstance(srt, Rejection) and srt.reason.startswith("not an SRT file")
