"""Decisions and actions taken during the response, from chat and the war-room transcript.

A statement counts when it commits to a course ("Decision: ...", "let's roll back ...", "we'll
keep the flag ...") or reports doing it ("rolling back now", "rollback started"). Questions and
proposals ("could we scale up?") do not. Chat text is data, never instructions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from afteraction.analysis.evidence import chat_lines
from afteraction.analysis.keywords import (
    FoldedLines,
    LineScan,
    fold_lines,
    keyword_pattern,
    spellings,
)
from afteraction.model.events import Event

__all__ = ["ACTION_VERBS", "Statement", "find_decisions", "mitigation_kind_of_text"]

ACTION_VERBS = {
    "rollback": r"roll(?:ing|ed)?[ -]?back|rollback|revert(?:ing|ed)?",
    "flag_off": r"turn(?:ing|ed)? off|disabl(?:e|ing|ed)|kill[ -]?switch|flag off",
    "scale_up": r"scal(?:e|ing|ed) (?:up|out)|add(?:ing|ed)? (?:more )?(?:capacity|replicas|nodes)",
    "failover": r"fail(?:ing|ed)?[ -]?over|drain(?:ing|ed)? (?:traffic|region)",
    "restart": r"restart(?:ing|ed)?|bounc(?:e|ing|ed)",
    "config_change": r"rais(?:e|ing|ed) (?:the )?(?:limit|timeout|pool)|lower(?:ing|ed)? ",
}
_ANY_ACTION = "|".join(f"(?:{v})" for v in ACTION_VERBS.values())
_DECISION = re.compile(
    r"^\s*decision\s*[:\-]|\blet'?s (?:" + _ANY_ACTION + r"|go ahead)"
    r"|\b(?:hold|keep|leave|pause|freeze) (?:the )?(?:flag|deploys?|rollouts?|config|release)\b"
    r"|\bwe(?:'re| are| will|'ll)? (?:going to |gonna )?(?:" + _ANY_ACTION + r"|keep|hold)\b"
    r"|\b(?:go ahead|approved?|agreed)\b.*\b(?:" + _ANY_ACTION + r")", re.IGNORECASE)
_ACTION = re.compile(
    r"\b(?:i'?m|i am|we'?re|we are|now)\s+(?:" + _ANY_ACTION + r")"
    r"|\b(?:" + _ANY_ACTION + r")\s+(?:now|started|in progress|kicked off|done|complete)\b"
    r"|^\s*(?:ack,?\s*)?(?:" + _ANY_ACTION + r")\b", re.IGNORECASE)
_ACTION_STEMS = ("roll", "revert", "turn", "disabl", "kill", "flag off", "scal", "capacity",
                 "replica", "node", "fail", "drain", "restart", "bounc", "rais", "lower")
"""Every ``ACTION_VERBS`` match contains one of these (in lower case)."""
_KEYWORDS = ("decision", "let", *_ACTION_STEMS, "hold", "keep", "leave", "pause", "freeze",
             "go ahead", "agreed", "approv")
"""A statement of decision contains one of these; checking them first spares the regexes the
thousands of messages that cannot match."""
_KEYWORD = keyword_pattern(_KEYWORDS)
_ACTION_STEM = keyword_pattern(_ACTION_STEMS)
_QUESTION = re.compile(r"\?\s*$|^\s*(?:could|should|can|shall|do|would) we\b", re.IGNORECASE)


_ACTION_SPELLINGS = (
    *spellings(("roll", "rolling", "rolled"), ("", " ", "-"), ("back",)), "revert",
    *spellings(("turn", "turning", "turned"), (" off",)), *spellings(("disabl",), ("e", "ing", "ed")),
    *spellings(("kill",), ("", " ", "-"), ("switch",)), "flag off",
    *spellings(("scale", "scaling", "scaled"), (" up", " out")),
    *spellings(("add", "adding", "added"), (" ",), ("", "more "), ("capacity", "replicas", "nodes")),
    *spellings(("fail", "failing", "failed"), ("", " ", "-"), ("over",)),
    *spellings(("drain", "draining", "drained"), (" ",), ("traffic", "region")),
    "restart", *spellings(("bounc",), ("e", "ing", "ed")),
    *spellings(("raise", "raising", "raised"), (" ",), ("", "the "), ("limit", "timeout", "pool")),
    *spellings(("lower", "lowering", "lowered"), (" ",)))
"""Every ``ACTION_VERBS`` match, in lower case, holds one of these: each verb's fixed words,
spelt out every way its pattern allows."""
_MAY_STATE = LineScan((
    *_ACTION_SPELLINGS, "decision", "let's go ahead", "lets go ahead",
    *spellings(("hold", "keep", "leave", "pause", "freeze"), (" ",), ("", "the "),
               ("flag", "deploy", "rollout", "config", "release")),
    *spellings(("we", "we're", "we are", "we will", "we'll"), (" ",), ("", "going to ", "gonna "),
               ("keep", "hold"))))
"""A line ``_DECISION`` or ``_ACTION`` matches holds, in lower case, one of these words: every
branch of either names an action verb, except "decision", "let's go ahead", holding a flag or
the like, and "we'll keep" or "hold". Said of ASCII lines, where lowercasing is the patterns'
case folding; :class:`LineScan` reports the other lines anyway."""


@dataclass(frozen=True)
class Statement:
    event: Event
    kind: str        # decision | action
    action: str | None


def mitigation_kind_of_text(text: str) -> str | None:
    for name, pattern in ACTION_VERBS.items():
        if re.search(pattern, text, re.IGNORECASE):
            return name
    return None


def _statement_of(line: str) -> tuple[str, str | None] | None:
    """What a chat line commits to, from its words alone: (decision | action, the mitigation it
    names), or None."""
    text = line.strip()
    lowered = text.lower()
    if not _KEYWORD.search(lowered) or _QUESTION.search(text):
        return None
    if _DECISION.search(text):
        return "decision", mitigation_kind_of_text(text)
    # An action names an action verb. On ASCII text lowercasing is exactly the pattern's case
    # folding, so the stem look can rule it out; other text goes to the pattern.
    if (not text.isascii() or _ACTION_STEM.search(lowered)) and _ACTION.search(text):
        return "action", mitigation_kind_of_text(text)
    return None


def find_decisions(events: list[Event] | tuple[Event, ...],
                   chat: FoldedLines | None = None) -> list[Statement]:
    """Only the few chat lines that hold a statement's words, found for all lines at once, are
    judged; in a long channel the rest are nearly all of them. ``chat``: the events'
    :func:`chat_lines`, folded once for all the passes that scan them."""
    out = []
    for i in _MAY_STATE.lines(chat if chat is not None else fold_lines(chat_lines(events))):
        event = events[i]
        verdict = _statement_of(event.text)
        if verdict is None:
            continue
        if event.attrs.get("bot") or event.attrs.get("subtype") == "channel_join":
            continue
        out.append(Statement(event, *verdict))
    return out
