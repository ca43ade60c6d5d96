"""Keep only what the sender wrote in an email body: no quoted history, no signature.

Quoted history is everything from the first reply/forward header on ("On … wrote:",
"Am … schrieb …:", "-----Original Message-----", "-----Ursprüngliche Nachricht-----",
Outlook "From: … Sent: …" / "Von: … Gesendet: …" blocks, "Sent from my iPhone"), plus every
line that starts with ">". The signature is everything from the "-- " delimiter or a closing
formula ("Best regards", "Mit freundlichen Grüßen", …) on. Nothing the sender wrote is counted
twice when a thread is audited message by message.
"""

from __future__ import annotations

import re

_HEADER_ONE_LINE = [
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.I),
    re.compile(r"^\s*Am\b.{0,300}\bschrieb\b.{0,300}:\s*$", re.I),
    re.compile(r"^\s*Le\b.{0,300}\ba écrit\s*:\s*$", re.I),
    re.compile(
        r"^\s*-{2,}\s*(Original Message|Ursprüngliche Nachricht|Originalnachricht|Forwarded message|"
        r"Weitergeleitete Nachricht|Reply message|Antwortnachricht)\s*-{2,}\s*$",
        re.I,
    ),
    re.compile(r"^\s*(Begin forwarded message|Anfang der weitergeleiteten (E-Mail|Nachricht)):?\s*$", re.I),
    re.compile(r"^\s*\**(From|Von):\**\s.+\s\**(Sent|Gesendet|Date|Datum):\**\s", re.I),
]
_FROM_LINE = re.compile(r"^\s*\**(From|Von|Absender):\**\s*\S", re.I)
_SENT_LINE = re.compile(r"^\s*\**(Sent|Gesendet|Date|Datum|To|An|Subject|Betreff):\**\s", re.I)
_UNDERSCORES = re.compile(r"^\s*_{8,}\s*$")
_MOBILE = re.compile(
    r"^\s*(Sent from my \w+|Sent from (Outlook|Mail|Yahoo Mail|Gmail)\b.*|Get Outlook for \w+.*|"
    r"Von meinem \w+( \w+)? gesendet|Gesendet von meinem \w+.*|Gesendet mit der [\w.-]+ App.*|"
    r"Diese Nachricht wurde von meinem \w+ gesendet\.?)\s*$",
    re.I,
)
_SIG_DELIMITER = re.compile(r"^-- ?$")
# Closing formulas that always start a signature block.
_CLOSING_STRONG = re.compile(
    r"^\s*(mit freundlichen grüßen|mit freundlichen grüssen|mit freundlichem gruß|mit freundlichem gruss|"
    r"freundliche grüße|freundliche grüsse|viele grüße|viele grüsse|beste grüße|beste grüsse|"
    r"liebe grüße|liebe grüsse|herzliche grüße|herzliche grüsse|schöne grüße|schöne grüsse|"
    r"mfg|lg|vg|best regards|kind regards|warm regards|warmest regards|kindest regards|regards|"
    r"best wishes|yours sincerely|sincerely|yours truly|many thanks and best regards)"
    r"\s*[,.!]?\s*$",
    re.I,
)
# Short closings that start a signature only when just a few lines follow them.
_CLOSING_WEAK = re.compile(
    r"^\s*(thanks|thank you|many thanks|thanks again|cheers|best|danke|vielen dank|danke schön|"
    r"danke und grüße|gruß|gruss|grüße|grüsse)\s*[,.!]?\s*$",
    re.I,
)
_WEAK_TAIL = 4  # lines after a weak closing that still count as a signature


def strip_quoted(text: str) -> str:
    """The body up to the first quoted-history header, without '>' lines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _first_header(lines)
    kept = [line for line in lines[:cut] if not line.lstrip().startswith(">")]
    return "\n".join(kept)


def _first_header(lines: list[str]) -> int:
    for i, line in enumerate(lines):
        pair = line + " " + lines[i + 1] if i + 1 < len(lines) else line  # wrapped "On … <\n…> wrote:"
        if any(p.match(line) for p in _HEADER_ONE_LINE):
            return i
        if line.strip() and re.match(r"^\s*(On|Am)\b", line) and any(p.match(pair) for p in _HEADER_ONE_LINE[:2]):
            return i
        if _MOBILE.match(line):
            return i
        if _UNDERSCORES.match(line) and _next_nonblank_is_from(lines, i + 1):
            return i
        if _FROM_LINE.match(line) and _is_header_block(lines, i):
            return i
    return len(lines)


def _next_nonblank_is_from(lines: list[str], start: int) -> bool:
    for line in lines[start:start + 3]:
        if line.strip():
            return bool(_FROM_LINE.match(line))
    return False


def _is_header_block(lines: list[str], start: int) -> bool:
    """A 'From:' line followed within four lines by 'Sent:'/'Date:'/'To:'/'Subject:' lines."""
    following = [line for line in lines[start + 1:start + 5] if line.strip()]
    return sum(1 for line in following if _SENT_LINE.match(line)) >= 1


def strip_signature(text: str) -> str:
    """The body up to its signature block."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if not any(earlier.strip() for earlier in lines[:i]):
            continue  # a closing with nothing before it is the message itself ("Thanks!")
        if _SIG_DELIMITER.match(line) or _CLOSING_STRONG.match(line):
            return "\n".join(lines[:i])
        if _CLOSING_WEAK.match(line):
            tail = [rest for rest in lines[i + 1:] if rest.strip()]
            if len(tail) <= _WEAK_TAIL:
                return "\n".join(lines[:i])
    return text


def clean_body(text: str) -> str:
    """What the sender wrote: quoted history and signature removed, whitespace tidied."""
    body = strip_signature(strip_quoted(text))
    body = "\n".join(line.rstrip() for line in body.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", body).strip()


_BULLET = re.compile(r"^\s*([-*•·]|\d{1,2}[.)])\s")
WRAP_WIDTH = 55  # a plain-text line at least this long that continues on the next line was hard-wrapped


def unwrap(text: str) -> str:
    """Join hard-wrapped lines of plain-text mail back into paragraphs ("…I'm really\\ndisappointed").

    A line break stays where the line is short (a greeting, an address), where the next line
    is a list item, and between paragraphs.
    """
    out: list[str] = []
    for line in text.split("\n"):
        previous = out[-1] if out else ""
        if previous.strip() and line.strip() and len(previous) >= WRAP_WIDTH and not _BULLET.match(line):
            out[-1] = previous.rstrip() + " " + line.strip()
        else:
            out.append(line)
    return "\n".join(out)
