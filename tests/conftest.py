"""Shared fixtures: the real default rubric and real spaCy pipelines, built once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qa_audit.audit import Auditor
from qa_audit.model import Conversation, Message
from qa_audit.rubric.loader import load_rubric

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def rubric():
    return load_rubric()


@pytest.fixture(scope="session")
def auditor(rubric):
    return Auditor(rubric)


def conversation(*turns, language: str = "en", conv_id: str = "t-1", channel: str = "chat") -> Conversation:
    """turns: (role, text) or (role, text, start, end)."""
    msgs = []
    for i, turn in enumerate(turns):
        role, text = turn[0], turn[1]
        start, end = (turn[2], turn[3]) if len(turn) == 4 else (None, None)
        msgs.append(Message(index=i, role=role, text=text, author=role, start=start, end=end))
    return Conversation(id=conv_id, messages=msgs, language=language,
                        channel="call" if any(m.start is not None for m in msgs) else channel)


@pytest.fixture
def audit(auditor):
    """Audit turns and return {message index: set of check ids}."""
    def run(*turns, language: str = "en"):
        conv = conversation(*turns, language=language)
        result = auditor.judge(auditor.analyze_texts(conv))
        found: dict[int, set[str]] = {}
        for f in result.findings:
            found.setdefault(f.message_index, set()).add(f.check)
        return found
    return run


def shared_data_or_skip(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{path} is not here (the shared data sets are for development only)")
    return path


def in_ci() -> bool:
    return bool(os.environ.get("CI"))
