"""CSV reader: default columns, cp1252 with ';', --columns / --roles mapping, bad rows and files."""

from pathlib import Path

from qa_audit.ingest import choose_reader
from qa_audit.ingest.base import IngestOptions, parse_mapping, parse_role_values
from qa_audit.ingest.csv_rows import CsvReader
from qa_audit.model import Conversation, Rejection

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


def read(name: str, options: IngestOptions | None = None) -> list:
    return list(CsvReader().read(FIXTURES / name, options or IngestOptions()))


def test_cp1252_semicolon_export_with_umlauts_reads_correctly():
    raw = (FIXTURES / "chat_de_cp1252.csv").read_bytes()
    assert b"\xfc" in raw and b"\x80" in raw  # really Windows-1252: ü and €
    items = read("chat_de_cp1252.csv")
    assert [type(i) for i in items] == [Conversation, Conversation]
    first, second = items
    assert first.id == "DE-1001" and second.id == "DE-1002"
    assert [m.role for m in first.messages] == ["customer", "agent", "agent"]
    assert first.messages[0].author == "Jürgen Weiß"
    assert first.messages[0].text == "Die Rechnung über 249,90 € ist falsch, ich habe die Lieferung storniert!"
    assert first.messages[2].text == "Die Gutschrift über 249,90 € erhalten Sie bis Freitag;\ndie Bestätigung kommt per E-Mail."
    assert first.messages[1].timestamp.isoformat() == "2026-11-28T14:05:00"
    assert second.messages[1].author == "Jörg Müller"
    assert "Das ist unsere Richtlinie" in second.messages[1].text
    assert [m.index for m in first.messages] == [0, 1, 2]
    assert first.source.position == "rows 2-4"


def test_mapped_columns_and_role_values_with_us_dates_and_interleaved_rows():
    options = IngestOptions(
        columns=parse_mapping("conversation=Ticket ID,timestamp=Created,role=Author Type,author=Author Name,text=Body"),
        role_values=parse_role_values("agent=Staff;customer=End-user"),
    )
    items = read("helpdesk_export.csv", options)
    rejections = [i for i in items if isinstance(i, Rejection)]
    conversations = {c.id: c for c in items if isinstance(c, Conversation)}
    assert [(r.source.position, r.reason) for r in rejections] == [
        ("row 6", "row 6 has no text (column 'Body')"),
        ("row 8", "row 8 has no conversation id (column 'Ticket ID')"),
    ]
    t77 = conversations["T-77"]
    assert [m.role for m in t77.messages] == ["customer", "agent", "customer"]
    assert t77.messages[1].author == "Dana White"
    assert t77.messages[0].timestamp.isoformat() == "2026-11-28T14:03:00"  # 11/28/2026 2:03 PM
    assert t77.messages[2].text == "Thanks, Dana."  # row 5 joined its ticket although T-78 came between
    assert t77.channel == "email"
    assert [m.text for m in conversations["T-78"].messages] == [
        "Can I change my delivery address?", "Sure, I've updated it for you."]


def test_role_values_override_builtin_synonyms():
    options = IngestOptions(role_values=parse_role_values("customer=Kunde,Kundin;agent=Mitarbeiterin,Mitarbeiter"))
    first = read("chat_de_cp1252.csv", options)[0]
    assert [m.role for m in first.messages] == ["customer", "agent", "agent"]
    unmapped = read("chat_de_cp1252.csv", IngestOptions(role_values={"agent": ["Kunde"]}))[0]
    assert unmapped.messages[0].role == "agent"  # the user's mapping wins over the synonyms


def test_missing_required_column_rejects_the_file_naming_columns_found():
    items = read("missing_column.csv")
    assert len(items) == 1 and isinstance(items[0], Rejection)
    reason = items[0].reason
    assert "missing required columns 'conversation_id'" in reason and "'text'" in reason
    assert "columns found: id, when, who, message_body" in reason


def test_mapping_to_absent_column_names_it(tmp_path):
    items = read("helpdesk_export.csv", IngestOptions(columns={"text": "Message Text"}))
    assert len(items) == 1
    assert "'Message Text' (--columns text)" in items[0].reason


def test_timestamp_format_option_and_bad_timestamp_rejects_the_row(tmp_path):
    path = tmp_path / "chat.csv"
    path.write_text(
        "conversation_id,timestamp,role,author,text\n"
        "c1,2026|11|28 10:00,customer,Max,Hallo\n"
        "c1,2026|11|28 10:01,agent,Anna,Guten Tag\n"
        "c1,yesterday,agent,Anna,Noch etwas?\n",
        encoding="utf-8",
    )
    items = list(CsvReader().read(path, IngestOptions(timestamp_format="%Y|%m|%d %H:%M")))
    assert isinstance(items[0], Rejection) and items[0].source.position == "row 4"
    assert "timestamp" in items[0].reason and "'yesterday'" in items[0].reason
    conv = items[1]
    assert conv.messages[1].timestamp.isoformat() == "2026-11-28T10:01:00"


def test_tab_delimiter_start_end_and_latin1(tmp_path):
    path = tmp_path / "call.tsv"
    path.write_bytes(
        "conversation_id\trole\ttext\tstart\tend\tchannel\tlanguage\n"
        "k1\tAgent\tGrüß Gott, was kann ich tun?\t0\t2,5\tcall\tde\n"
        "k1\tKunde\tMein Zähler ist kaputt.\t00:02.1\t00:04\tcall\tde\n".encode("latin-1")
    )
    conv = list(CsvReader().read(path, IngestOptions()))[0]
    assert conv.messages[0].text == "Grüß Gott, was kann ich tun?"
    assert (conv.messages[0].start, conv.messages[0].end) == (0.0, 2.5)
    assert (conv.messages[1].start, conv.messages[1].end) == (2.1, 4.0)
    assert conv.channel == "call" and conv.language == "de"


def test_forced_delimiter_and_sniff():
    path = FIXTURES / "chat_de_cp1252.csv"
    assert CsvReader().sniff(path, path.read_bytes()[:4096])
    assert choose_reader(path).name == "csv"
    items = list(CsvReader().read(path, IngestOptions(delimiter=",")))
    assert isinstance(items[0], Rejection) and "missing required column" in items[0].reason
