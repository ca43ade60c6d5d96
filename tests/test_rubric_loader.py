"""The rubric loader names file, line and field for every problem."""

from pathlib import Path

import pytest

from qa_audit.errors import RubricError
from qa_audit.rubric.loader import default_rubric_path, load_rubric

RUBRIC_HEAD = """id: mini
languages: [en, de]
criteria:
  - id: no_defensive_language
    fails_on: [defensive_language]
checks: [rules.yaml]
"""

GOOD_RULE = """rules:
  - id: policy
    check: defensive_language
    patterns:
      en: ["that is our policy"]
      de: ["das ist unsere richtlinie"]
    suggestion: {en: "Say what you can do.", de: "Sagen Sie, was geht."}
    examples:
      en: {match: ["That is our policy."], no_match: ["Our policy lets me refund it."]}
      de: {match: ["Das ist unsere Richtlinie."], no_match: ["Ich helfe gern."]}
"""


def write(tmp_path: Path, rules: str, head: str = RUBRIC_HEAD) -> Path:
    (tmp_path / "rubric.yaml").write_text(head, encoding="utf-8")
    (tmp_path / "rules.yaml").write_text(rules, encoding="utf-8")
    return tmp_path / "rubric.yaml"


def test_default_rubric_ships_inside_the_package_and_covers_every_check(rubric):
    assert default_rubric_path().is_file()
    assert "qa_audit" in default_rubric_path().parts
    produced = {c for r in rubric.rules for c in r.checks}
    assert produced == {"interruption", "defensive_language", "empathy", "missed_empathy",
                        "promised_timeline", "vague_promise", "ownership", "deflection"}
    assert [c.id for c in rubric.criteria] == ["lets_customer_finish", "no_defensive_language",
                                               "empathy_when_upset", "concrete_timelines", "ownership"]


def test_a_small_custom_rubric_loads(tmp_path):
    rub = load_rubric(write(tmp_path, GOOD_RULE))
    assert [r.id for r in rub.rules] == ["policy"]
    assert rub.rules[0].suggestion["de"] == "Sagen Sie, was geht."
    assert load_rubric(tmp_path).id == "mini"  # a folder works too


@pytest.mark.parametrize("mutation, expected", [
    (("check: defensive_language", "check: rudeness"), r"rules.yaml:3: rule 'policy': field 'check' must be one of"),
    (("    patterns:", "    colour: red\n    patterns:"), r"rules.yaml:4: rule 'policy': unknown field 'colour'"),
    (('      de: ["das ist unsere richtlinie"]\n', ""), r"rules.yaml:2: rule 'policy': 'patterns' has no patterns for language 'de'"),
    (("    check: defensive_language", "    check: defensive_language\n    kind: magic"), r"rules.yaml:4: rule 'policy': field 'kind' must be one of"),
    (("    patterns:", "    severity: huge\n    patterns:"), r"rules.yaml:4: rule 'policy': field 'severity'"),
])
def test_errors_name_file_line_and_field(tmp_path, mutation, expected):
    old, new = mutation
    assert old in GOOD_RULE
    with pytest.raises(RubricError, match=expected):
        load_rubric(write(tmp_path, GOOD_RULE.replace(old, new)))


def test_invalid_yaml_names_the_line(tmp_path):
    with pytest.raises(RubricError, match=r"rules.yaml:6: invalid YAML: expected .,. or .\]."):
        load_rubric(write(tmp_path, GOOD_RULE.replace("    patterns:\n", "    patterns: [\n")))


def test_duplicate_rule_ids_are_reported(tmp_path):
    twice = GOOD_RULE + GOOD_RULE.split("rules:\n", 1)[1]
    with pytest.raises(RubricError, match="rule id 'policy' is used twice"):
        load_rubric(write(tmp_path, twice))


def test_criterion_errors(tmp_path):
    head = RUBRIC_HEAD.replace("    fails_on: [defensive_language]", "    weight: -1\n    fails_on: [rudeness]")
    with pytest.raises(RubricError) as info:
        load_rubric(write(tmp_path, GOOD_RULE, head))
    errors = info.value.all_errors
    assert any("rubric.yaml:5: criterion 'no_defensive_language': field 'weight' must be a positive number" in e for e in errors)
    assert any("unknown check id 'rudeness'" in e for e in errors)


def test_missing_rule_file_and_missing_rubric(tmp_path):
    (tmp_path / "rubric.yaml").write_text(RUBRIC_HEAD, encoding="utf-8")
    with pytest.raises(RubricError, match=r"rubric.yaml:6: checks: file 'rules.yaml' does not exist"):
        load_rubric(tmp_path / "rubric.yaml")
    with pytest.raises(RubricError, match="does not exist"):
        load_rubric(tmp_path / "nope.yaml")


def test_bad_pattern_syntax_is_reported_with_its_line(tmp_path, auditor):
    from qa_audit.audit import Auditor
    rub = load_rubric(write(tmp_path, GOOD_RULE.replace('en: ["that is our policy"]', 'en: ["that is (our policy"]')))
    with pytest.raises(RubricError, match=r"rules.yaml:5: rule 'policy': patterns.en\[0\] .* never closed"):
        Auditor(rub).compiled("en")
