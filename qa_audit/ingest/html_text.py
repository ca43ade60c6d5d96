"""HTML message bodies (email, Zendesk, Intercom) as plain text, with the stdlib parser.

Block elements become line breaks, entities are decoded, scripts and styles are dropped, and
quoted history is left out where mail clients mark it: <blockquote>, Gmail's `gmail_quote`,
Yahoo's `yahoo_quoted`, and everything after Outlook's reply header (`divRplyFwdMsg`,
`appendonsend`).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK = {
    "p", "div", "br", "li", "tr", "table", "ul", "ol", "section", "article", "header", "footer",
    "pre", "hr", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "address", "center",
}
_VOID = {"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base", "source"}
_DROP = {"script", "style", "head", "title", "template", "noscript"}
_QUOTE_CLASSES = {"gmail_quote", "yahoo_quoted", "moz-cite-prefix", "quote", "reply-quote"}
_CUT_IDS = {"divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_tag: str | None = None  # the element whose content is being left out
        self.skip_depth = 0
        self.cut = False  # everything from here on is quoted history
        self.pre = 0  # inside <pre>, whitespace is kept

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.cut:
            return
        if self.skip_tag:
            if tag == self.skip_tag:
                self.skip_depth += 1
            return
        attributes = {k.lower(): (v or "") for k, v in attrs}
        if (attributes.get("id") or "").lower() in _CUT_IDS:
            self.cut = True
            return
        classes = set(attributes.get("class", "").lower().split())
        if tag in _DROP or tag == "blockquote" or classes & _QUOTE_CLASSES:
            if tag not in _VOID:
                self.skip_tag, self.skip_depth = tag, 1
            return
        if tag in _BLOCK:
            self.parts.append("\n")
        if tag == "pre":
            self.pre += 1
        if tag == "li":
            self.parts.append("- ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.cut and not self.skip_tag and tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.cut:
            return
        if self.skip_tag:
            if tag == self.skip_tag:
                self.skip_depth -= 1
                if self.skip_depth == 0:
                    self.skip_tag = None
            return
        if tag == "pre" and self.pre:
            self.pre -= 1
        if tag in _BLOCK and tag not in _VOID and tag != "li":  # list items: one line each
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.cut and not self.skip_tag:
            self.parts.append(data if self.pre else re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML fragment or document."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts).replace("\xa0", " ").replace("\r", "")
    lines = [re.sub(r"[ \t\f\v]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def looks_like_html(text: str) -> bool:
    return bool(re.search(r"<(p|div|br|span|a|b|i|strong|em|ul|ol|li|table|html|body)\b[^>]*>", text, re.I))
