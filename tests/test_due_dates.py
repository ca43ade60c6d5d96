"""Due dates of promises, resolved on fixed reference dates (Wednesday 25 November 2026)."""

from datetime import date, datetime

import pytest

from qa_audit.checks.due_dates import resolve_due_date

WED = datetime(2026, 11, 25, 10, 0)


@pytest.mark.parametrize("expression, due", [
    ("by Friday", date(2026, 11, 27)),
    ("bis Freitag", date(2026, 11, 27)),
    ("on Wednesday", date(2026, 12, 2)),  # said on a Wednesday: next week's
    ("tomorrow", date(2026, 11, 26)),
    ("morgen früh", date(2026, 11, 26)),
    ("übermorgen", date(2026, 11, 27)),
    ("within 24 hours", date(2026, 11, 26)),
    ("within 3 business days", date(2026, 11, 30)),
    ("innerhalb von 3 Werktagen", date(2026, 11, 30)),
    ("in 3-5 business days", date(2026, 12, 2)),
    ("within two days", date(2026, 11, 27)),
    ("by 5 pm", date(2026, 11, 25)),
    ("um 17 Uhr", date(2026, 11, 25)),
    ("12.12.", date(2026, 12, 12)),
    ("03.01.", date(2027, 1, 3)),
    ("12.12.2026", date(2026, 12, 12)),
    ("March 12", date(2027, 3, 12)),
    ("3rd December", date(2026, 12, 3)),
    ("12. Dezember", date(2026, 12, 12)),
    ("next week", date(2026, 12, 4)),
    ("Anfang Dezember", date(2026, 12, 5)),
])
def test_resolves(expression, due):
    assert resolve_due_date(expression, WED) == due


def test_unresolvable_or_without_reference():
    assert resolve_due_date("soon", WED) is None
    assert resolve_due_date("by Friday", None) is None
    assert resolve_due_date("31.02.", WED) is None
