"""Amazon Contact Lens / Call Analytics and plain Transcribe (speaker and channel labels)."""

from pathlib import Path

from qa_audit.ingest.aws_transcribe import AwsTranscribeReader
from qa_audit.ingest.base import IngestOptions, parse_role_values
from qa_audit.model import Conversation, Rejection

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


def read(name: str, options: IngestOptions | None = None) -> list:
    return list(AwsTranscribeReader().read(FIXTURES / name, options or IngestOptions()))


def test_contact_lens_turns_roles_times_and_source_interruptions():
    [conv] = read("contact_lens_en.json")
    assert isinstance(conv, Conversation)
    assert (conv.id, conv.channel, conv.language) == ("7b2e4c1a-0d55-4e61-9a3b-2f6c8d1e0a42", "call", "en")
    assert [m.role for m in conv.messages] == ["agent", "customer", "agent", "customer", "agent", "customer"]
    assert (conv.messages[2].start, conv.messages[2].end) == (8.35, 13.1)
    assert conv.messages[1].end - conv.messages[2].start >= 0.5  # the agent talks over the customer
    assert conv.messages[4].text.endswith("I'll take care of it by Friday and credit the forty dollars.")
    assert conv.messages[1].metadata["Sentiment"] == "NEGATIVE"
    assert conv.metadata["source_interruptions"] == [
        {"interrupter": "agent", "start": 8.35, "end": 9.6, "duration": 1.25, "message_index": 2}]
    assert conv.metadata["source_categories"] == {"AgentInterruptsCustomer": [{"start": 8.35, "end": 9.6}]}


def test_transcribe_speaker_labels_german():
    [conv] = read("transcribe_speakers_de.json")
    assert (conv.id, conv.language) == ("stadtwerke-2026-11-24-0931", "de")
    assert [m.role for m in conv.messages] == ["agent", "customer", "agent", "customer"]
    assert conv.messages[0].text == "Guten Tag, Kundenservice der Stadtwerke, mein Name ist Jonas Berg."
    assert conv.messages[2].text == "Das tut mir sehr leid. Ich kümmere mich sofort darum und rufe Sie bis 16 Uhr zurück."
    assert conv.messages[1].start == 4.1
    assert conv.metadata["role_resolution"] == {"spk_0": "first speaker", "spk_1": "other speaker"}


def test_transcribe_channel_labels_keep_overlaps_and_roles_can_be_swapped():
    [conv] = read("transcribe_channels_en.json")
    assert [m.role for m in conv.messages] == ["agent", "customer", "agent", "customer", "agent"]
    customer, agent = conv.messages[1], conv.messages[2]
    assert customer.text == "Hi, my router keeps dropping the connection every evening and"
    assert agent.text == "Yeah yeah, that is company policy, nothing I can do."
    assert agent.start == 4.6 and customer.end - agent.start >= 0.5
    [swapped] = read("transcribe_channels_en.json", IngestOptions(role_values=parse_role_values("agent=ch_1;customer=ch_0")))
    assert [m.role for m in swapped.messages] == ["customer", "agent", "customer", "agent", "customer"]


def test_malformed_and_unlabelled_outputs_are_rejected(tmp_path):
    [broken] = read("broken_aws.json")
    assert isinstance(broken, Rejection) and broken.reason.startswith("invalid JSON")
    path = tmp_path / "job.json"
    path.write_text('{"jobName": "x", "results": {"transcripts": [{"transcript": "hi"}], "items": []}}', encoding="utf-8")
    [item] = list(AwsTranscribeReader().read(path, IngestOptions()))
    assert isinstance(item, Rejection) and "no speaker_labels or channel_labels" in item.reason


def test_bad_turn_is_rejected_alone(tmp_path):
    path = tmp_path / "cl.json"
    path.write_text(
        '{"Participants": [{"ParticipantId": "A", "ParticipantRole": "AGENT"}], "Transcript": ['
        '{"ParticipantId": "A", "Content": "Hello", "BeginOffsetMillis": 0, "EndOffsetMillis": 900},'
        '{"ParticipantId": "C", "BeginOffsetMillis": 1000, "EndOffsetMillis": 1500}]}', encoding="utf-8")
    items = list(AwsTranscribeReader().read(path, IngestOptions()))
    assert isinstance(items[0], Rejection) and items[0].source.position == "Transcript[1]"
    assert items[0].reason == "Transcript[1] has no Content"
    assert [m.text for m in items[1].messages] == ["Hello"]


def test_contact_lens_interruptions_are_compared_with_ours(tmp_path):
    """The export's own interruption records end up beside our findings and in the manifest."""
    import json as _json
    from qa_audit.ingest.base import IngestOptions
    from qa_audit.rubric.loader import load_rubric
    from qa_audit.run import run_audit
    out = tmp_path / "out"
    data = run_audit([FIXTURES / "contact_lens_en.json"], out, load_rubric(), IngestOptions(), formats={"jsonl"})
    cmp = data.manifest["source_interruptions"]
    assert cmp is not None and cmp["records"] >= 1
    assert cmp["agreed"] + cmp["only_in_source"] == cmp["records"]
    ours = [f for f in data.findings if f.check == "interruption"]
    assert ours and all("source_agrees" in f.details for f in ours)
    assert _json.loads((out / "manifest.json").read_text())["source_interruptions"] == cmp
