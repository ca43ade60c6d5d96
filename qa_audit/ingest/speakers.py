"""Roles for speakers that a file names but does not type (subtitle voices, speech-to-text labels).

The rule is explicit and the same for every timed format:
1. --roles maps the label ("agent=Anna Weber;customer=spk_1");
2. else the label names a role ("Agent", "Kundin", "Support Anna", "Customer Service");
3. else, if some speaker is already an agent, the remaining speakers are customers;
   otherwise the first remaining speaker to talk is the agent (the agent answers the call and
   speaks first) and the others are customers.
How each speaker got its role is kept in Conversation.metadata["role_resolution"].
"""

from __future__ import annotations

from .records import role_from_values, role_in_name


def assign_roles(speakers: list[str], role_values: dict[str, list[str]]) -> dict[str, tuple[str, str]]:
    """speaker label (in order of first appearance) -> (role, how it was decided)."""
    result: dict[str, tuple[str, str]] = {}
    for speaker in speakers:
        mapped = role_from_values(speaker, role_values)
        if mapped:
            result[speaker] = (mapped, "--roles")
            continue
        named = role_in_name(speaker)
        if named:
            result[speaker] = (named, "speaker name")
    rest = [s for s in speakers if s not in result]
    has_agent = any(role == "agent" for role, _ in result.values())
    for i, speaker in enumerate(rest):
        if not has_agent and i == 0:
            result[speaker] = ("agent", "first speaker")
        else:
            result[speaker] = ("customer", "other speaker")
    return result
