"""Rubric checks: one module per kind of rule. Each reads analysed conversations and
returns Findings with evidence; phrase lists come from the rubric, never from here."""
