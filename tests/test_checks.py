"""Each check, in English and German, through the real pipeline and the default rubric."""

import pytest


@pytest.mark.parametrize("lang, text", [
    ("en", "I can imagine how stressful this week has been for you."),
    ("en", "I'm really sorry to hear the heating failed again."),
    ("de", "Ich kann gut verstehen, dass Sie sich darüber ärgern."),
    ("de", "Das tut mir wirklich leid, das ist ärgerlich."),
])
def test_empathy(audit, lang, text):
    assert "empathy" in audit(("customer", "My parcel is late."), ("agent", text), language=lang).get(1, set())


@pytest.mark.parametrize("lang, text", [
    ("en", "I don't understand why you're upset about this."),
    ("en", "Sorry for the wait, I'm back now."),
    ("en", "I'm sorry you feel that way."),
    ("de", "Ich verstehe nicht, warum Sie sich aufregen."),
    ("de", "Entschuldigung für die Wartezeit."),
])
def test_not_empathy_negated_courtesy_or_non_apology(audit, lang, text):
    assert "empathy" not in audit(("customer", "Where is my order?"), ("agent", text), language=lang).get(1, set())


def test_non_apology_is_defensive_not_empathy(audit):
    for lang, text in (("en", "I'm sorry you feel that way, but the fee stays."),
                       ("de", "Es tut mir leid, wenn Sie das so empfinden.")):
        found = audit(("customer", "This is a joke."), ("agent", text), language=lang)[1]
        assert "defensive_language" in found and "empathy" not in found


@pytest.mark.parametrize("lang, text", [
    ("en", "Rules are rules, I'm afraid."),
    ("en", "Calm down, please, it's not a big deal."),
    ("en", "Like I said, the form has to be signed."),
    ("de", "Vorschrift ist Vorschrift."),
    ("de", "Wie ich bereits sagte, brauchen wir die Unterschrift."),
    ("de", "Beruhigen Sie sich doch erst mal."),
])
def test_defensive_language(audit, lang, text):
    assert "defensive_language" in audit(("customer", "Why?"), ("agent", text), language=lang).get(1, set())


def test_explaining_a_rule_with_an_offer_is_not_defensive(audit):
    found = audit(("customer", "Can I return it?"),
                  ("agent", "Our policy allows returns within 30 days, so I can offer you store credit instead."))
    assert "defensive_language" not in found.get(1, set())


@pytest.mark.parametrize("lang, text", [
    ("en", "You'll need to take that up with the manufacturer."),
    ("en", "That's not my department, sorry."),
    ("de", "Dafür bin ich leider nicht zuständig."),
    ("de", "Da müssen Sie sich bitte an Ihre Bank wenden."),
])
def test_deflection(audit, lang, text):
    assert "deflection" in audit(("customer", "Help?"), ("agent", text), language=lang).get(1, set())


@pytest.mark.parametrize("lang, text", [
    ("en", "I'll transfer you to our billing team myself and stay on the line."),
    ("en", "Leave it with me, I'll sort this out."),
    ("de", "Ich kümmere mich persönlich darum."),
    ("de", "Ich verbinde Sie direkt mit der Technik."),
])
def test_ownership_including_agent_made_transfers(audit, lang, text):
    found = audit(("customer", "Help?"), ("agent", text), language=lang).get(1, set())
    assert "ownership" in found and "deflection" not in found


@pytest.mark.parametrize("lang, text", [
    ("en", "We'll update you."),
    ("en", "I can refund that if you like."),
    ("en", "Let me check."),
    ("de", "Wir kümmern uns darum."),
    ("de", "Ich sehe mal nach."),
])
def test_not_ownership(audit, lang, text):
    assert "ownership" not in audit(("customer", "Help?"), ("agent", text), language=lang).get(1, set())


@pytest.mark.parametrize("lang, text, check", [
    ("en", "I'll post the new charger on Monday.", "promised_timeline"),
    ("en", "You will receive the credit within 3 business days.", "promised_timeline"),
    ("en", "We'll look into it and get back to you shortly.", "vague_promise"),
    ("en", "I'll refund that.", "vague_promise"),
    ("de", "Ich schicke Ihnen das Etikett bis Donnerstag.", "promised_timeline"),
    ("de", "Sie erhalten die Gutschrift innerhalb von 3 Werktagen.", "promised_timeline"),
    ("de", "Wir melden uns in Kürze bei Ihnen.", "vague_promise"),
    ("de", "Die Erstattung wird zeitnah bearbeitet.", "vague_promise"),
])
def test_promises_specific_or_vague(audit, lang, text, check):
    found = audit(("customer", "When?"), ("agent", text), language=lang).get(1, set())
    other = {"promised_timeline", "vague_promise"} - {check}
    assert check in found and not (found & other)


@pytest.mark.parametrize("lang, text", [
    ("en", "I'm transferring you now."),
    ("en", "Send us a message and we'll assist."),
    ("en", "The voucher is valid until 31 March."),
    ("de", "Ich verbinde Sie jetzt."),
    ("de", "Wenn Sie uns die Nummer schicken, prüfen wir das."),
])
def test_no_promise(audit, lang, text):
    found = audit(("customer", "Hm?"), ("agent", text), language=lang).get(1, set())
    assert not found & {"promised_timeline", "vague_promise"}


def test_promise_details_resolve_the_due_date(auditor):
    from datetime import datetime
    from qa_audit.model import Conversation, Message
    conv = Conversation(id="d", language="de", messages=[
        Message(0, "customer", "Wann kommt das?", timestamp=datetime(2026, 11, 25, 9, 0)),
        Message(1, "agent", "Ich schicke Ihnen den Ersatz bis Freitag.", timestamp=datetime(2026, 11, 25, 9, 1)),
    ])
    [f] = [f for f in auditor.find(auditor.analyze_texts(conv)) if f.check == "promised_timeline"]
    assert f.details["time_expression"] == "bis Freitag"
    assert f.details["due_date"] == "2026-11-27"
    assert f.evidence.startswith("Ich schicke") and f.evidence.endswith("bis Freitag")


@pytest.mark.parametrize("lang, upset, reply, expected", [
    ("en", "I've been waiting three weeks and I'm really frustrated.", "Order number?", True),
    ("en", "Please HELP, the app ate my money????", "Which app version?", True),
    ("en", "I'm absolutely furious about this charge.", "I completely understand your frustration, let me look.", False),
    ("en", "Hi, can I change my address?", "Sure, what's the new one?", False),
    ("de", "Das ist eine Zumutung, ich warte seit Tagen!", "Ihre Kundennummer bitte.", True),
    ("de", "Ich bin echt sauer wegen der Rechnung.", "Das ist wirklich ärgerlich, ich schaue sofort nach.", False),
])
def test_missed_empathy(audit, lang, upset, reply, expected):
    found = audit(("customer", upset), ("agent", reply), language=lang)
    assert ("missed_empathy" in found.get(1, set())) is expected


def test_missed_empathy_skips_backchannels(audit):
    found = audit(("customer", "This is ridiculous, third time now!"), ("agent", "okay"),
                  ("agent", "The courier will come on Friday."))
    assert "missed_empathy" not in found.get(1, set()) and "missed_empathy" in found[2]


@pytest.mark.parametrize("lang", ["en", "de"])
def test_interruption_from_timed_overlap_but_not_backchannel(audit, lang):
    say = {"en": ("I was charged twice and I would like to", "Which card did you use?", "mhm"),
           "de": ("Mir wurde doppelt abgebucht und ich möchte", "Mit welcher Karte?", "genau")}[lang]
    found = audit(("customer", say[0], 0.0, 6.0), ("agent", say[1], 5.2, 7.0), language=lang)
    assert "interruption" in found[1]
    found = audit(("customer", say[0], 0.0, 6.0), ("agent", say[2], 4.0, 4.4), language=lang)
    assert "interruption" not in found.get(1, set())
    found = audit(("customer", say[0], 0.0, 6.0), ("agent", say[1], 5.7, 7.0), language=lang)
    assert "interruption" not in found.get(1, set())  # 0.3 s overlap is under the 0.5 s minimum


@pytest.mark.parametrize("lang, cut, complaint", [
    ("en", "My order never came and the tracking says--", "Let me finish, please."),
    ("de", "Meine Bestellung ist nicht gekommen und [unterbrochen]", "Lassen Sie mich bitte ausreden!"),
])
def test_interruption_untimed_markers_and_complaints(audit, lang, cut, complaint):
    assert "interruption" in audit(("customer", cut), ("agent", "Have you checked the tracking?"), language=lang)[1]
    found = audit(("customer", "The box was open and"), ("agent", "What is the order number?"),
                  ("customer", complaint), language=lang)
    assert "interruption" in found[1]


def test_phrases_match_across_line_breaks_and_quote_the_original_text(auditor):
    from qa_audit.model import Conversation, Message
    text = "Hello,\n\nI will take care\nof this  personally."
    conv = Conversation(id="w", language="en", messages=[Message(0, "agent", text)])
    [f] = [f for f in auditor.find(auditor.analyze_texts(conv)) if f.check == "ownership"]
    assert f.evidence == text[f.start:f.end] and f.evidence == "I will take care\nof"
