"""index.html and the agent pages parsed with the standard library's html.parser."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from test_report_aggregate import (  # noqa: F401  (session fixtures)
    JINJA, KNOWN_AGENT, KNOWN_EVIDENCE, ONERROR, SCRIPT, SCRIPT_TITLE, report_run,
)

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    """Elements with their attributes, the text, the text inside each <mark>, and text per lang."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text_parts: list[str] = []
        self.marks: list[str] = []
        self.lang_text: dict[str, list[str]] = {}
        self._stack: list[tuple[str, str | None]] = []
        self._mark: list[str] | None = None
        self.title = ""
        self._in_title = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.elements.append((tag, a))
        if tag == "mark":
            self._mark = []
        if tag == "title":
            self._in_title = True
        if tag not in VOID:
            self._stack.append((tag, a.get("lang")))

    def handle_endtag(self, tag):
        if tag == "mark" and self._mark is not None:
            self.marks.append("".join(self._mark))
            self._mark = None
        if tag == "title":
            self._in_title = False
        while self._stack:
            top, _ = self._stack.pop()
            if top == tag:
                break

    def handle_data(self, data):
        self.text_parts.append(data)
        if self._mark is not None:
            self._mark.append(data)
        if self._in_title:
            self.title += data
        lang = next((lang for _, lang in reversed(self._stack) if lang), None)
        if lang:
            self.lang_text.setdefault(lang, []).append(data)

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements if t == name]


def load(path: Path) -> tuple[str, Page]:
    raw = path.read_text(encoding="utf-8")
    return raw, Page(raw)


def findings(run) -> list[dict]:
    lines = (run.out / "findings.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def agent_page(run, agent: str) -> Path:
    slug = {"Anna Weber": "anna-weber", "Grace O'Neill": "grace-o-neill", "Sam Lee": "sam-lee",
            "Tobias Král": "tobias-kral"}[agent]
    return run.out / "agents" / f"{slug}.html"


def all_pages(run) -> list[Path]:
    return [run.out / "index.html", *sorted((run.out / "agents").glob("*.html"))]


def test_index_overview(report_run):
    raw, page = load(report_run.out / "index.html")
    assert page.title.startswith("Coaching <b>W45–W48</b> & more")  # the title is text, not markup
    assert "<b>W45" not in raw
    assert "Coaching &lt;b&gt;W45–W48&lt;/b&gt; &amp; more" in raw
    links = [a["href"] for a in page.tags("a")]
    for slug in ("anna-weber", "grace-o-neill", "sam-lee", "tobias-kral"):
        assert f"agents/{slug}.html" in links
        assert (report_run.out / "agents" / f"{slug}.html").is_file()
    assert len(page.tags("svg")) >= 5  # a trend sparkline per agent + the team's (four weeks of input)
    assert len([a for a in page.tags("td") if "heat" in (a.get("class") or "")]) >= 4 * 5
    text = page.text
    for section in ("Agents", "Criteria by agent", "Top findings", "Worth a review"):
        assert section in text
    assert "Defensive language" in text and "Empathy" in text
    assert "@media print" in raw


def test_known_agent_page_highlights_evidence_and_suggestion(report_run):
    raw, page = load(agent_page(report_run, KNOWN_AGENT))
    assert page.tags("h1") and KNOWN_AGENT in page.text
    # a coaching example: evidence inside <mark>, with its conversation around it and its suggestion
    policy = next(f for f in findings(report_run)
                  if f["conversation_id"] == "en-t-002" and f["check"] == "defensive_language")
    assert policy["evidence"] in page.marks
    assert policy["suggestion"] and policy["suggestion"] in page.text
    assert "rules are rules. We will look into it soon." in page.text  # the rest of the message, unmarked
    # the known positive finding is quoted among the strengths
    assert KNOWN_EVIDENCE in page.marks
    assert "../index.html" in [a["href"] for a in page.tags("a")]
    assert "Promises made" in page.text and "by Friday" in page.text and "2026-11-06" in page.text


def test_suggestion_in_the_conversations_language(report_run):
    _, page = load(agent_page(report_run, "Anna Weber"))
    german = next(f for f in findings(report_run)
                  if f["conversation_id"] == "de-t-002" and f["check"] == "defensive_language")
    assert "Das ist unsere Richtlinie" in page.marks
    assert german["suggestion"] in "".join(page.lang_text.get("de", []))
    assert "UI" not in german["suggestion"]  # sanity: it is rubric text, shown as it is


@pytest.mark.parametrize("agent", ["Anna Weber", KNOWN_AGENT, "Sam Lee", "Tobias Král"])
def test_agent_page_has_no_other_agents_conversations(report_run, agent):
    raw, page = load(agent_page(report_run, agent))
    text = page.text
    for other in report_run.texts_of_other_agents(agent):
        assert other not in text and other not in raw, f"{agent}'s page shows {other!r}"
    mine = {cid for cid, c in report_run.conversations.items() if c["agent"] == agent}
    shown = set(re.findall(r"\b(?:en|de)-t-\d{3}\b", text))
    assert shown and shown <= mine


def test_transcript_markup_is_shown_as_text(report_run):
    raw, page = load(agent_page(report_run, KNOWN_AGENT))
    assert SCRIPT in page.text and SCRIPT_TITLE in page.text  # visible, as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    assert "<script" not in raw.lower()
    raw_de, page_de = load(agent_page(report_run, "Anna Weber"))
    assert ONERROR in page_de.text and JINJA in page_de.text  # {{ 7*7 }} stays literal
    assert "<img" not in raw_de and "&lt;img src=x onerror=" in raw_de
    for path in all_pages(report_run):
        _, p = load(path)
        assert not p.tags("script") and not p.tags("img") and not p.tags("iframe"), path.name
        for tag, attrs in p.elements:
            assert not [k for k in attrs if k.startswith("on")], f"{path.name}: <{tag}> has an event handler"


def test_pages_are_self_contained(report_run):
    for path in all_pages(report_run):
        raw, page = load(path)
        for tag, attrs in page.elements:
            for key in ("src", "href", "action", "data", "poster", "srcset", "xlink:href"):
                value = (attrs.get(key) or "").strip().lower()
                assert not value.startswith(("http:", "https:", "//", "ftp:")), f"{path.name}: <{tag} {key}={value}>"
        assert not page.tags("link") and not page.tags("script")
        assert "@import" not in raw and "url(" not in raw
        assert page.tags("style"), "inline CSS"
        csp = [m for m in page.tags("meta") if (m.get("http-equiv") or "").lower() == "content-security-policy"]
        assert csp and "default-src 'none'" in csp[0]["content"]


def test_interruption_and_promise_context(report_run):
    _, page = load(agent_page(report_run, "Tobias Král"))
    assert "Interruption" in page.text and "Overlap: 1.5 s" in page.text
    assert "Das kann nicht sein, der Zähler wurde erst letztes Jahr geprüft." in page.marks
    assert "bis Donnerstag" in page.text


def test_per_agent_files_of_an_earlier_run_are_removed(tmp_path):
    """Running again into the same folder with fewer agents leaves no stale agent page."""
    import json as _json
    import subprocess as _sp
    import sys as _sys

    def conv(cid, agent):
        return {"id": cid, "language": "en", "agent": agent, "messages": [
            {"role": "customer", "text": "Where is my parcel?"},
            {"role": "agent", "text": "I'll send a new one today, you'll have it by Friday."}]}

    src = tmp_path / "in.jsonl"
    out = tmp_path / "out"
    src.write_text("\n".join(_json.dumps(c) for c in (conv("a", "Ann Alder"), conv("b", "Bob Birch"))) + "\n")
    run = lambda: _sp.run([_sys.executable, "-m", "qa_audit.cli", "run", str(src), "--out", str(out),
                           "--split-by-agent", "-q"], capture_output=True, text=True)
    assert run().returncode == 0
    assert len(list((out / "agents").glob("*.html"))) == 2
    src.write_text(_json.dumps(conv("a", "Ann Alder")) + "\n")
    assert run().returncode == 0
    names = sorted(p.name for p in (out / "agents").iterdir())
    assert names and all("bob" not in n for n in names)
