"""Zendesk and Intercom exports: roles, private notes skipped (kept with include_private), HTML."""

from pathlib import Path

from qa_audit.ingest import choose_reader
from qa_audit.ingest.base import IngestOptions, parse_role_values
from qa_audit.ingest.intercom import IntercomReader
from qa_audit.ingest.zendesk import ZendeskReader
from qa_audit.model import Rejection

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


def test_zendesk_tickets_with_users_skip_private_notes():
    first, second = ZendeskReader().read(FIXTURES / "zendesk_tickets_en.json", IngestOptions())
    assert (first.id, first.agent, first.language) == ("35436", "Marco Rossi", "en")
    assert [(m.role, m.author) for m in first.messages] == [
        ("customer", "Lena Fischer"), ("agent", "Marco Rossi"), ("customer", "Lena Fischer")]
    assert all("repeat buyer" not in m.text for m in first.messages)
    assert first.metadata["skipped_private_comments"] == 1
    assert first.messages[1].text.startswith("Hi Lena, I'm so sorry")
    assert second.channel == "email"
    assert second.messages[0].text == "Where is my refund for order 5521? It has been two weeks."  # signature, quote gone
    assert second.messages[1].role == "agent"  # admin


def test_zendesk_private_notes_kept_with_include_private():
    first, _ = ZendeskReader().read(FIXTURES / "zendesk_tickets_en.json", IngestOptions(include_private=True))
    assert len(first.messages) == 4
    note = first.messages[1]
    assert note.role == "agent" and note.metadata["internal"] is True and "repeat buyer" in note.text


def test_zendesk_single_ticket_without_users_html_body_german():
    [conv] = ZendeskReader().read(FIXTURES / "zendesk_ticket_de.json", IngestOptions())
    assert (conv.id, conv.channel, conv.language) == ("80211", "email", "de")
    assert [m.role for m in conv.messages] == ["customer", "agent"]
    assert conv.metadata["role_resolution"] == {"5001": "ticket requester", "7002": "ticket assignee"}
    assert conv.messages[0].text == "Hallo, Sie haben die Rechnung 2026-1184 zweimal abgebucht. Ich bin echt sauer!"
    assert conv.messages[1].text == (
        "Guten Tag Frau Lange,\n\ndas tut mir leid, Sie haben recht: Der Betrag wurde doppelt eingezogen. "
        "Ich habe die Rückbuchung veranlasst, Sie erhalten das Geld bis Freitag.")
    [with_note] = ZendeskReader().read(FIXTURES / "zendesk_ticket_de.json", IngestOptions(include_private=True))
    assert len(with_note.messages) == 3 and with_note.messages[1].metadata["internal"]


def test_zendesk_roles_option_and_full_export_lines(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(
        '{"id": 1, "requester_id": 10, "comments": [{"author_id": 10, "body": "Hi", "public": true},'
        ' {"author_id": 99, "body": "Hello, how can I help?", "public": true}]}\n'
        '{"id": 2, "requester_id": 11, "comments": [{"author_id": 11, "body": "Hallo", "public": true}]}\n',
        encoding="utf-8")
    assert choose_reader(path).name == "zendesk"
    first, second = ZendeskReader().read(path, IngestOptions())
    assert [m.role for m in first.messages] == ["customer", "unknown"]
    assert second.id == "2" and second.source.position == "line 2"
    mapped, _ = ZendeskReader().read(path, IngestOptions(role_values=parse_role_values("agent=99")))
    assert [m.role for m in mapped.messages] == ["customer", "agent"]


def test_intercom_conversation_skips_notes_and_bodyless_parts():
    [conv] = IntercomReader().read(FIXTURES / "intercom_conversation_en.json", IngestOptions())
    assert (conv.id, conv.channel) == ("171000123456", "chat")
    assert [(m.role, m.author) for m in conv.messages] == [
        ("customer", "Noah Schmidt"), ("agent", "Sofia Marin"), ("customer", "Noah Schmidt")]
    assert conv.messages[1].text == (
        "Hi Noah, I completely understand your concern, being logged out all the time is annoying.\n\n"
        "I'll take care of it by Friday: our developers are shipping a fix in version 4.12.")
    assert conv.messages[0].timestamp.isoformat() == "2026-11-29T09:00:00+00:00"
    assert conv.metadata["skipped_private_notes"] == 1
    [full] = IntercomReader().read(FIXTURES / "intercom_conversation_en.json", IngestOptions(include_private=True))
    assert [m.metadata.get("internal", False) for m in full.messages] == [False, False, True, False]


def test_intercom_list_with_bot_and_lead():
    first, second = IntercomReader().read(FIXTURES / "intercom_conversations_de.json", IngestOptions())
    assert [m.role for m in first.messages] == ["customer", "bot", "agent"]
    assert "das ist unsere Richtlinie" in first.messages[2].text
    assert all("Kulanz" not in m.text for m in first.messages)
    assert [m.role for m in second.messages] == ["customer", "bot"]


def test_malformed_helpdesk_files_are_rejected():
    [z] = ZendeskReader().read(FIXTURES / "broken_zendesk.json", IngestOptions())
    [i] = IntercomReader().read(FIXTURES / "broken_intercom.json", IngestOptions())
    assert isinstance(z, Rejection) and z.reason.startswith("invalid JSON")
    assert isinstance(i, Rejection) and i.reason.startswith("invalid JSON")


def test_wrong_shape_is_rejected(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"ticket": "nope", "comments": 3}', encoding="utf-8")
    [item] = ZendeskReader().read(path, IngestOptions())
    assert isinstance(item, Rejection) and "not a Zendesk export" in item.reason
