"""Email threads (.eml across files, mbox): threading, roles, HTML-only parts, and no quoted
history or signature in any audited text."""

import re
from pathlib import Path

from qa_audit.ingest import iter_conversations
from qa_audit.ingest.base import IngestOptions, parse_role_values
from qa_audit.ingest.email_clean import clean_body, unwrap
from qa_audit.ingest.email_thread import EmailReader
from qa_audit.model import Conversation, Rejection

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
EN_FILES = sorted((FIXTURES / "email_en").glob("*.eml"))

# Anything that would mean quoted history or a signature leaked into an audited message.
LEAKS = re.compile(
    r"^\s*>|wrote:|schrieb|Original Message|Ursprüngliche Nachricht|^\s*(From|Von|Sent|Gesendet|An|To|Betreff):"
    r"|Best regards|Kind regards|Mit freundlichen|Viele Grüße|Sent from my|Von meinem iPhone|^-- ?$|^--$"
    r"|Portland|Musterstraße|12345 Berlin|\+1 555|Tel\. 030|Acme Customer Support|Möbel-Haus GmbH",
    re.M,
)


def read(paths, options=None) -> list:
    return list(EmailReader().read_files(list(paths), options or IngestOptions()))


def assert_clean(conv: Conversation) -> None:
    for message in conv.messages:
        assert not LEAKS.search(message.text), f"message {message.index} leaks: {message.text!r}"


def test_english_thread_across_eml_files():
    [conv] = read(EN_FILES)
    assert isinstance(conv, Conversation)
    assert conv.id == "CAJd8x1Qp@mail.gmail.com" and conv.channel == "email"
    assert conv.metadata["subject"] == "Order #48213 arrived damaged"
    assert [m.role for m in conv.messages] == ["customer", "agent", "customer", "agent"]
    assert [m.author for m in conv.messages] == ["Jane Doe", "Tom Becker | Acme Support", "Jane Doe", "Maria Lopez"]
    assert [m.timestamp.day for m in conv.messages] == [23, 23, 25, 26]
    first, html_only, reply, outlook = (m.text for m in conv.messages)
    assert first == ("Hello,\n\nmy order #48213 arrived today and the blender jar is cracked. I'm really "
                     "disappointed, this was supposed to be a birthday present.\n\nCan you send a replacement?")
    assert html_only.startswith("Hi Jane,\n\nI’m so sorry your blender arrived damaged – that’s really frustrating")
    assert html_only.endswith("I'll take care of it by Friday and you will get the tracking number by email.")
    assert reply == ("Thank you Tom, that's great news. Will the replacement need a signature on delivery? "
                     "I'm at work during the day.")
    assert outlook.endswith("The tracking number is 1Z999AA10123456784.")  # joined by subject, no headers
    assert_clean(conv)
    assert set(conv.metadata["role_resolution"].values()) == {"service address domain", "not the service address domain"}


def test_german_mbox_thread_with_charsets_html_only_part_and_outlook_quote():
    [conv] = read([FIXTURES / "email_de.mbox"])
    assert conv.language == "de"
    assert [m.role for m in conv.messages] == ["customer", "agent", "customer", "agent"]
    texts = [m.text for m in conv.messages]
    assert texts[0].endswith("das ist wirklich ärgerlich!")  # iso-8859-1 quoted-printable
    assert "Das ist unsere Richtlinie" in texts[1]  # HTML-only, Outlook history after appendonsend cut
    assert texts[1].endswith("Ich kümmere mich darum und melde mich bis Freitag mit einem neuen Termin.")
    assert texts[2] == ("Unverbindlich? Ich habe extra einen Tag Urlaub genommen. Ich erwarte bis morgen "
                        "eine verbindliche Antwort.")
    assert texts[3].endswith("Ich habe das persönlich bestätigen lassen.")
    assert_clean(conv)


def test_agent_domain_option_and_roles_option():
    [conv] = read(EN_FILES, IngestOptions(agent_domains=["acme-shop.com"]))
    assert [m.role for m in conv.messages] == ["customer", "agent", "customer", "agent"]
    assert conv.metadata["role_resolution"]["jane.doe@gmail.com"] == "not an --agent-domain address"
    [de] = read([FIXTURES / "email_de.mbox"], IngestOptions(agent_domains=["@moebel-haus.de"]))
    assert [m.role for m in de.messages] == ["customer", "agent", "customer", "agent"]
    [mapped] = read(EN_FILES, IngestOptions(role_values=parse_role_values("agent=maria.lopez@acme-shop.com")))
    assert mapped.metadata["role_resolution"]["maria.lopez@acme-shop.com"] == "--roles"


def test_first_sender_rule_without_service_address(tmp_path):
    (tmp_path / "a.eml").write_text(
        "From: Max <max@kunde.de>\nTo: Eva <eva@firma.de>\nSubject: Frage\nDate: Mon, 23 Nov 2026 09:00:00 +0100\n"
        "Message-ID: <a@kunde.de>\n\nWann kommt die Ware?\n", encoding="utf-8")
    (tmp_path / "b.eml").write_text(
        "From: Eva <eva@firma.de>\nTo: Max <max@kunde.de>\nSubject: AW: Frage\nDate: Mon, 23 Nov 2026 10:00:00 +0100\n"
        "Message-ID: <b@firma.de>\nIn-Reply-To: <a@kunde.de>\n\nMorgen bis 12 Uhr.\n", encoding="utf-8")
    [conv] = read(sorted(tmp_path.glob("*.eml")))
    assert [m.role for m in conv.messages] == ["customer", "agent"]
    assert conv.metadata["role_resolution"] == {
        "eva@firma.de": "other domain than the first sender", "max@kunde.de": "first sender's domain"}


def test_threads_stay_apart_and_duplicates_count_once(tmp_path):
    for name, mid, subject, body in [("1", "x1@k.de", "Rechnung", "Falsche Rechnung."),
                                     ("2", "y1@k.de", "Lieferung", "Wo ist mein Paket?"),
                                     ("3", "x1@k.de", "Rechnung", "Falsche Rechnung.")]:
        (tmp_path / f"{name}.eml").write_text(
            f"From: Kim <kim@k.de>\nTo: support@shop.de\nSubject: {subject}\nDate: Mon, 23 Nov 2026 0{name}:00:00 +0100\n"
            f"Message-ID: <{mid}>\n\n{body}\n", encoding="utf-8")
    conversations = read(sorted(tmp_path.glob("*.eml")))
    assert [c.id for c in conversations] == ["x1@k.de", "y1@k.de"]
    assert [len(c.messages) for c in conversations] == [1, 1]


def test_threads_span_files_through_iter_conversations(tmp_path):
    for path in EN_FILES:
        (tmp_path / path.name).write_bytes(path.read_bytes())
    items = list(iter_conversations([tmp_path], IngestOptions()))
    assert len(items) == 1 and len(items[0].messages) == 4


def test_malformed_eml_and_mbox_are_rejected():
    items = read([FIXTURES / "broken.eml", FIXTURES / "broken.mbox"])
    assert all(isinstance(i, Rejection) for i in items)
    assert items[0].reason == "not an email message: no From, Subject, Date or Message-ID header"
    assert items[1].reason == "not an mbox archive: the first line must start with 'From '"


def test_clean_body_rules():
    assert clean_body("Danke!\n\nGesendet von meinem Samsung Galaxy\n> alt") == "Danke!"
    assert clean_body("OK.\n\n-----Original Message-----\nFrom: a\nSent: b") == "OK."
    assert clean_body("Ja.\nVon: Anna <a@b.de>\nGesendet: Montag\nAn: Max") == "Ja."
    assert clean_body("Thank you!") == "Thank you!"  # a closing with nothing before it is the message
    assert clean_body("Line one\nline two\n\nCheers,\nBob") == "Line one\nline two"
    assert unwrap("- a\n- b") == "- a\n- b"
