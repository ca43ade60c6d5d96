"""Format registry and detection, malformed files through iter_conversations, encodings."""

import json
import shutil
from pathlib import Path

import pytest

from qa_audit.ingest import READERS, IngestStats, choose_reader, describe_formats, iter_conversations
from qa_audit.ingest.base import IngestOptions, decode_bytes, detect_encoding
from qa_audit.ingest.html_text import html_to_text
from qa_audit.model import Conversation, Rejection

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"

# (good file, malformed file of the same kind, reader name, expected words in the rejection)
PAIRS = [
    ("chat_de_cp1252.csv", "missing_column.csv", "csv", "missing required column"),
    ("call_de.txt", "meeting_notes.txt", "transcript", "no speaker lines found"),
    ("email_de.mbox", "broken.mbox", "email", "not an mbox archive"),
    ("email_en/02_agent_html.eml", "broken.eml", "email", "not an email message"),
    ("call_en.vtt", "broken.vtt", "vtt", "not a WebVTT file"),
    ("call_de.srt", "broken.srt", "srt", "not an SRT file"),
    ("contact_lens_en.json", "broken_aws.json", "aws-transcribe", "invalid JSON"),
    ("zendesk_ticket_de.json", "broken_zendesk.json", "zendesk", "invalid JSON"),
    ("intercom_conversation_en.json", "broken_intercom.json", "intercom", "invalid JSON"),
]


def test_describe_formats_lists_every_reader():
    formats = describe_formats()
    assert [f["name"] for f in formats] == [r.name for r in READERS]
    assert {"jsonl", "json", "csv", "transcript", "email", "vtt", "srt", "aws-transcribe", "zendesk", "intercom"} \
        <= {f["name"] for f in formats}
    for entry in formats:
        assert set(entry) == {"name", "extensions", "description", "fields"}
        assert entry["extensions"] and all(e.startswith(".") for e in entry["extensions"])
        assert entry["description"] and entry["fields"]


@pytest.mark.parametrize("good,bad,reader,_", PAIRS)
def test_each_fixture_goes_to_its_reader_by_extension_and_by_content(tmp_path, good, bad, reader, _):
    for name in (good, bad):
        assert choose_reader(FIXTURES / name).name == reader
    copy = tmp_path / "no_extension"
    shutil.copy(FIXTURES / good, copy)
    assert choose_reader(copy).name == reader  # sniffed from content alone


@pytest.mark.parametrize("good,bad,reader,words", PAIRS)
def test_malformed_file_is_rejected_and_does_not_stop_the_others(tmp_path, good, bad, reader, words):
    # the bad file sorts first, so the good one is read after it
    shutil.copy(FIXTURES / bad, tmp_path / ("a_" + Path(bad).name))
    shutil.copy(FIXTURES / good, tmp_path / ("b_" + Path(good).name))
    stats = IngestStats()
    items = list(iter_conversations([tmp_path], IngestOptions(), stats))
    rejections = [i for i in items if isinstance(i, Rejection)]
    conversations = [i for i in items if isinstance(i, Conversation)]
    assert len(rejections) == 1
    assert words in rejections[0].reason and rejections[0].source.file.endswith("a_" + Path(bad).name)
    assert conversations and all(c.messages for c in conversations)
    assert stats.rejected == 1 and stats.conversations == len(conversations)
    assert stats.formats[reader] == 2


def test_conversation_without_agent_message_is_rejected_with_that_reason(tmp_path):
    shutil.copy(FIXTURES / "customer_only.txt", tmp_path)
    shutil.copy(FIXTURES / "intercom_conversations_de.json", tmp_path)
    stats = IngestStats()
    items = list(iter_conversations([tmp_path], IngestOptions(), stats))
    reasons = [i.reason for i in items if isinstance(i, Rejection)]
    assert "conversation 171000200002 has no agent message (roles seen: bot, customer)" in reasons
    assert "conversation customer_only has no agent message (roles seen: customer)" in reasons
    assert stats.conversations == 1 and stats.rejected == 2


def test_unknown_roles_are_counted(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("Agent: Hello\n[00:05] Jo: Hi\n", encoding="utf-8")
    stats = IngestStats()
    [conv] = list(iter_conversations([path], IngestOptions(), stats))
    assert stats.unknown_roles == 1 and conv.agent == "unknown agent"


def test_forced_input_format(tmp_path):
    path = tmp_path / "export.data"
    shutil.copy(FIXTURES / "call_de.srt", path)
    [conv] = list(iter_conversations([path], IngestOptions(input_format="srt")))
    assert conv.channel == "call"


def test_canonical_json_still_reads_after_the_export_readers(tmp_path):
    single = tmp_path / "one.json"
    single.write_text(json.dumps({"id": "c1", "metadata": {"comments": "x"}, "messages": [
        {"role": "customer", "text": "Hallo"}, {"role": "agent", "text": "Guten Tag"}]}, indent=2), encoding="utf-8")
    listed = tmp_path / "many.json"
    listed.write_text(json.dumps({"conversations": [{"id": "c2", "messages": [{"role": "agent", "text": "Hi"}]}]}), encoding="utf-8")
    assert choose_reader(single).name == "json" and choose_reader(listed).name == "json"
    assert [c.id for c in iter_conversations([single, listed], IngestOptions())] == ["c1", "c2"]


@pytest.mark.parametrize("text", ["Grüße, Straße, Größe: 12 € – „gut“", "Ärger über Öl und Übermaß"])
def test_short_cp1252_text_decodes_as_cp1252(tmp_path, text):
    data = text.encode("cp1252")
    assert decode_bytes(data) == text
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    assert detect_encoding(path).name == "cp1252"


def test_utf8_with_bom_and_forced_encoding(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes("\ufeffconversation_id,text".encode("utf-8"))
    assert detect_encoding(path).name == "utf-8-sig"
    assert decode_bytes("café".encode("latin-1"), "latin-1") == "café"
    with pytest.raises(ValueError):
        detect_encoding(path, "no-such-codec")


def test_html_to_text_drops_quotes_scripts_and_keeps_paragraphs():
    html = ("<html><head><style>p{}</style><script>x()</script></head><body><p>Hallo&nbsp;Herr M&uuml;ller,</p>"
            "<p>ich k&uuml;mmere\nmich darum.<br>Bis Freitag.</p><ul><li>eins</li><li>zwei</li></ul>"
            "<blockquote><p>alt</p></blockquote><p>Ende</p></body></html>")
    assert html_to_text(html) == "Hallo Herr Müller,\n\nich kümmere mich darum.\nBis Freitag.\n\n- eins\n- zwei\n\nEnde"


def test_excel_unicode_text_export_is_read_as_csv_and_other_txt_as_transcript(tmp_path):
    path = tmp_path / "export.txt"
    path.write_bytes("conversation_id\trole\ttext\r\nk1\tKunde\tGrüß Gott\r\nk1\tAgent\tHallo\r\n".encode("utf-16"))
    assert choose_reader(path).name == "csv"
    [conv] = list(iter_conversations([path], IngestOptions()))
    assert [m.text for m in conv.messages] == ["Grüß Gott", "Hallo"]
    assert choose_reader(FIXTURES / "chat_en.txt").name == "transcript"
    assert choose_reader(FIXTURES / "meeting_notes.txt").name == "transcript"  # says what is missing


def test_unrecognised_json_goes_to_the_canonical_reader_which_names_the_problem(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text('{\n  "theme": "dark"\n}', encoding="utf-8")
    [item] = list(iter_conversations([path], IngestOptions()))
    assert isinstance(item, Rejection) and item.reason == "expected a JSON array of conversations"
