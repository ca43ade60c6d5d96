"""`rubric test`, `rubric lint` and `eval`: on the default rubric, on a broken copy, and on
the project's own gold sets (so CI guards the figures without ../shared)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from qa_audit.evaluate import cohen_kappa, evaluate, load_gold
from qa_audit.rubric.lint import lint_rubric
from qa_audit.rubric.loader import default_rubric_path
from qa_audit.rubric.selftest import run_selftest

GOLD = Path(__file__).parent / "fixtures" / "gold"
HOLDOUT = Path(__file__).parent / "fixtures" / "holdout"
HOLDOUT2 = Path(__file__).parent / "fixtures" / "holdout2"


def qa(*args):
    return subprocess.run([sys.executable, "-m", "qa_audit.cli", *map(str, args)], capture_output=True, text=True)


@pytest.fixture
def rubric_copy(tmp_path):
    target = tmp_path / "rubric"
    shutil.copytree(default_rubric_path().parent, target)
    return target


def test_default_rubric_passes_its_own_examples_and_lint(rubric):
    report = run_selftest(rubric)
    assert report.failed == 0, "\n".join(report.lines())
    assert len(report.outcomes) > 100
    assert [str(i) for i in lint_rubric(None) if i.level == "error"] == []


def test_rubric_test_and_lint_commands_exit_0():
    proc = qa("rubric", "test")
    assert proc.returncode == 0 and proc.stdout.strip().splitlines()[-1].endswith(" passed, 0 failed")
    proc = qa("rubric", "lint")
    assert proc.returncode == 0 and "0 errors" in proc.stdout


def test_breaking_an_example_fails_with_a_readable_message(rubric_copy):
    path = rubric_copy / "checks" / "deflection.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        '- "Dafür bin ich nicht zuständig."', '- "Ich helfe Ihnen sehr gern weiter."'), encoding="utf-8")
    proc = qa("rubric", "test", rubric_copy)
    assert proc.returncode == 1
    assert "FAIL deflection-not-my-job [de] match: \"Ich helfe Ihnen sehr gern weiter.\"" in proc.stdout
    assert "deflection.yaml:" in proc.stdout and "expected deflection" in proc.stdout
    assert "1 failed" in proc.stdout


def test_a_rule_without_examples_is_an_error(rubric_copy):
    path = rubric_copy / "checks" / "deflection.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:text.index("    examples:")], encoding="utf-8")
    proc = qa("rubric", "test", rubric_copy)
    assert proc.returncode == 1 and "needs both 'match' and 'no_match' examples" in proc.stdout
    proc = qa("rubric", "lint", rubric_copy)
    assert proc.returncode == 1 and "has no en examples" in proc.stdout


def test_lint_finds_duplicates_impossible_lemmas_and_syntax_errors(rubric_copy):
    path = rubric_copy / "checks" / "deflection.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('        - "dafür bin ich [leider|auch|hier] nicht zuständig"',
                        '        - "dafür bin ich [leider|auch|hier] nicht zuständig"\n'
                        '        - "dafür bin ich nicht zuständig"\n'
                        '        - "ich ~bin nicht zuständig"\n'
                        '        - "(nicht zuständig"')
    path.write_text(text, encoding="utf-8")
    issues = [str(i) for i in lint_rubric(rubric_copy)]
    assert any("repeats a phrase" in i for i in issues)
    assert any("lemma '~bin' is never produced" in i for i in issues)
    assert any("never closed" in i and "deflection.yaml:" in i for i in issues)


def test_cohen_kappa():
    assert cohen_kappa([("pass", "pass"), ("fail", "fail")]) == 1.0
    assert cohen_kappa([("pass", "fail"), ("fail", "pass")]) == -1.0
    assert cohen_kappa([]) is None


@pytest.mark.parametrize("gold", [GOLD, HOLDOUT, HOLDOUT2])
def test_figures_on_the_projects_own_gold_sets(rubric, gold):
    """Precision >= 0.90 and recall >= 0.85 for every check and language."""
    files = sorted(gold.glob("*.jsonl"))
    if not files:
        pytest.skip(f"no gold files in {gold}")
    convs, rejected = load_gold(files)
    assert not rejected
    result = evaluate(convs, rubric)
    low = {f"{c}[{l}]": (cell.precision, cell.recall) for (c, l), cell in result.cells.items()
           if (cell.precision is not None and cell.precision < 0.90) or (cell.recall is not None and cell.recall < 0.85)}
    assert not low, low
    assert {l for (_, l) in result.cells} == {"en", "de"}


def test_weakened_rubric_fails_the_baseline_and_junit_names_the_check(tmp_path, rubric_copy):
    gold = sorted(GOLD.glob("*.jsonl"))
    baseline = tmp_path / "baseline.json"
    proc = qa("eval", *gold, "--baseline", baseline, "--update-baseline")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    figures = json.loads(baseline.read_text())
    assert figures["checks"]["empathy"]["de"]["recall"] >= 0.85
    # weaken: drop every German empathy pattern but the first
    path = rubric_copy / "checks" / "empathy.yaml"
    lines = path.read_text(encoding="utf-8").split("\n")
    start = lines.index("      de:")
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("        - "))
    path.write_text("\n".join(lines[:start + 2] + lines[end:]), encoding="utf-8")
    junit = tmp_path / "eval.xml"
    proc = qa("eval", *gold, "--rubric", rubric_copy, "--baseline", baseline, "--junit", junit)
    assert proc.returncode == 1
    assert "regressions against the baseline" in proc.stdout and "empathy[de]" in proc.stdout
    suite = ET.parse(junit).getroot()
    failed = [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None]
    assert "empathy[de]" in failed and "empathy[en]" not in failed
    assert int(suite.get("tests")) >= 16


def test_eval_json_output(tmp_path):
    proc = qa("eval", *sorted(GOLD.glob("*.jsonl")), "--json")
    assert proc.returncode == 0, proc.stdout
    data = json.loads(proc.stdout)
    assert set(data["checks"]) == {"interruption", "defensive_language", "empathy", "missed_empathy",
                                   "promised_timeline", "vague_promise", "ownership", "deflection"}
    assert 0 <= data["kappa"] <= 1


def test_eval_rejects_files_without_labels(tmp_path):
    plain = tmp_path / "plain.jsonl"
    plain.write_text(json.dumps({"id": "x", "messages": [{"role": "agent", "text": "Hi"}]}) + "\n")
    proc = qa("eval", plain)
    assert proc.returncode == 2 and "carry no 'labels'" in proc.stderr
