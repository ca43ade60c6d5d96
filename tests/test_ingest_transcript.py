"""Plain-text transcripts: role labels (EN/DE), names with roles, stamps, continuation lines, header."""

from pathlib import Path

from qa_audit.ingest.base import IngestOptions, parse_role_values
from qa_audit.ingest.transcript import TranscriptReader
from qa_audit.model import Conversation, Rejection

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


def read(path: Path, options: IngestOptions | None = None) -> list:
    return list(TranscriptReader().read(path, options or IngestOptions()))


def test_german_call_with_stamps_header_and_continuation_lines():
    [conv] = read(FIXTURES / "call_de.txt")
    assert isinstance(conv, Conversation)
    assert (conv.id, conv.channel, conv.language, conv.agent) == ("call_de", "call", "de", "Sabine Krüger")
    assert [m.role for m in conv.messages] == ["agent", "customer", "agent", "customer", "agent"]
    assert conv.messages[0].author == "Sabine Krüger"  # "Beraterin" named by the header
    assert conv.messages[1].text.endswith("Bescheid gesagt hat.\nDas ist eine Frechheit!")
    assert conv.messages[2].text.endswith("\nHinweis: Ihre Kundennummer habe ich bereits vorliegen.")
    # stamps give starts only: no invented ends, so cut-off markers still count
    assert [(m.start, m.end) for m in conv.messages] == [
        (2.0, None), (7.0, None), (15.0, None), (31.0, None), (33.5, None)]
    assert not conv.is_timed


def test_english_chat_with_names_in_parentheses_and_note_line():
    [conv] = read(FIXTURES / "chat_en.txt")
    assert conv.channel == "chat" and conv.language is None
    assert [(m.role, m.author) for m in conv.messages] == [
        ("customer", "Liam Carter"), ("agent", "Priya"), ("customer", "Liam Carter"),
        ("agent", "Priya"), ("customer", "Liam Carter")]
    assert conv.messages[3].text.endswith("within 24 hours.\nNote: the trace number is TR-5521.")
    assert all(m.start is None and m.end is None for m in conv.messages)


def test_role_in_label_with_name_in_parentheses_and_roles_option(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text(
        "Agent (Tom Kranz): Hello, how can I help?\n"
        "Kundin: Mein Router geht nicht.\n"
        "[01:05] Jo: Und jetzt?\n",
        encoding="utf-8",
    )
    [conv] = read(path)
    assert [(m.role, m.author) for m in conv.messages] == [
        ("agent", "Tom Kranz"), ("customer", ""), ("unknown", "Jo")]
    [mapped] = read(path, IngestOptions(role_values=parse_role_values("customer=Jo")))
    assert mapped.messages[2].role == "customer" and mapped.messages[2].start == 65.0


def test_file_without_speaker_lines_is_rejected_with_a_clear_reason():
    [item] = read(FIXTURES / "meeting_notes.txt")
    assert isinstance(item, Rejection)
    assert item.reason.startswith("no speaker lines found")
    assert item.source.file.endswith("meeting_notes.txt")


def test_bad_header_language_is_rejected(tmp_path):
    path = tmp_path / "fr.txt"
    path.write_text("# language: fr\nAgent: Bonjour\nCustomer: Salut\n", encoding="utf-8")
    [item] = read(path)
    assert isinstance(item, Rejection) and "not supported" in item.reason


def test_sniff():
    reader = TranscriptReader()
    assert reader.sniff(FIXTURES / "call_de.txt", (FIXTURES / "call_de.txt").read_bytes())
    assert not reader.sniff(FIXTURES / "meeting_notes.txt", (FIXTURES / "meeting_notes.txt").read_bytes())
