"""Real export formats through the whole tool: the CLI reads them, audits them, and accounts
for every malformed file in rejected.jsonl."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


def qa(*args):
    return subprocess.run([sys.executable, "-m", "qa_audit.cli", *map(str, args)], capture_output=True, text=True)


def test_timed_call_overlaps_become_interruptions(tmp_path):
    out = tmp_path / "out"
    proc = qa("run", FIXTURES / "call_en.vtt", FIXTURES / "call_de.srt", FIXTURES / "contact_lens_en.json",
              "--out", out, "--format", "jsonl", "-q")
    assert proc.returncode == 0, proc.stderr
    findings = [json.loads(l) for l in (out / "findings.jsonl").read_text().splitlines()]
    by_conversation = {}
    for f in findings:
        if f["check"] == "interruption":
            by_conversation.setdefault(f["conversation_id"], []).append(f)
            assert f["details"]["how"] == "timed overlap" and f["details"]["overlap_seconds"] >= 0.5
    assert len(by_conversation) == 3, sorted(by_conversation)


def test_every_malformed_export_is_rejected_with_its_reason_and_the_good_ones_audited(tmp_path):
    inputs = tmp_path / "exports"
    inputs.mkdir()
    broken = ["broken.eml", "broken.mbox", "broken.srt", "broken.vtt", "broken_aws.json",
              "broken_intercom.json", "broken_zendesk.json", "missing_column.csv"]
    good = ["call_en.vtt", "zendesk_tickets_en.json", "intercom_conversations_de.json", "chat_de_cp1252.csv"]
    for name in broken + good:
        shutil.copy(FIXTURES / name, inputs / name)
    out = tmp_path / "out"
    proc = qa("run", inputs, "--out", out, "--format", "jsonl,csv")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    rejected = [json.loads(l) for l in (out / "rejected.jsonl").read_text().splitlines()]
    files = {Path(r["file"]).name for r in rejected}
    assert set(broken) <= files, set(broken) - files
    assert all(r["reason"] for r in rejected)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["audited"] >= len(good)
    assert manifest["counts"]["read"] == manifest["counts"]["audited"] + manifest["counts"]["rejected"]
    for name in broken:  # one warning line per rejected record on stderr
        assert name in proc.stderr
