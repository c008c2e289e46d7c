"""Versioned annotation guidelines in plain Markdown: the format, its parser, and the rules on it.

The format (``guidelines.md``)::

    # Digit labeling guidelines

    ## Versions

    - v1 (2026-09-28): first version
    - v2 (2026-10-26): settles four versus nine

    ## Fours and nines {#four-vs-nine}

    - pairs: four / nine
    - history:
      - v1 added: left open whether a closed top makes a four or a nine
      - v2 changed: settles four versus nine: a closed top loop is nine

    A four has an open top: the two upper strokes do not meet. When the top is closed, label it nine.

    ## Phone captures {#phone-captured}

    - conditions: device = phone
    - history: v1 added

    Photos taken with a phone are fainter ...

* **Versions** of the whole document are the list under a ``## Versions`` heading (any level; also
  ``Version history``): ``- NAME (YYYY-MM-DD): note``, oldest first. An annotation's
  ``guideline_version`` names one of them.
* A **section** is a heading ending in ``{#id}``; the id is stable (letters, digits, ``-``, ``_``, ``.``).
  It runs to the next heading of the same or a higher level, or the next heading with an id; headings
  without ids below it belong to its text.
* A section may start with a **list of entries** (the first list after the heading, ended by a blank line):
  ``- classes: a, b`` (classes it covers), ``- pairs: a / b, c / d`` (class pairs it distinguishes),
  ``- conditions: ...`` (which items it governs; see :mod:`workbench.guidelines.conditions`; all must
  hold, a top-level ``and`` splits into several), ``- history:`` with nested ``- VERSION added|changed|removed:
  note`` lines, oldest first (one entry may follow ``history:`` on the same line). An optional
  ``(YYYY-MM-DD)`` after the version must equal the version's date.
* Everything else is the section's text, kept verbatim for display beside a gap.
* A plain Markdown file still parses: no versions (or one undated version from a legacy ``version: v2`` line)
  and no sections; :func:`structure_hint` says how to add the structure.

The rules: :func:`governing_sections` (sections that name a class directly or in a pair; sections with
conditions govern the items that match them, whatever their class) and :func:`stale_sections` (a label
given under version V is stale when a section governing it was added, changed or removed after V).
"""

from .conditions import (
    And,
    Column,
    Compare,
    Condition,
    ConditionSyntaxError,
    Contains,
    Function,
    InList,
    IsNull,
    Not,
    Or,
    Value,
    columns_of,
    parse_condition,
)
from .demo import DEMO_CLASSES, DEMO_VERSIONS, demo_guidelines
from .document import (
    Guidelines,
    HistoryEntry,
    Section,
    Version,
    check_versions,
    governing_sections,
    stale_sections,
    staleness_frame,
    structure_hint,
)
from .evaluation import evaluate, matches, to_ibis, to_ibis_filter
from .parser import GuidelinesError, parse_guidelines, read_guidelines, slug

__all__ = [
    "DEMO_CLASSES",
    "DEMO_VERSIONS",
    "And",
    "Column",
    "Compare",
    "Condition",
    "ConditionSyntaxError",
    "Contains",
    "Function",
    "Guidelines",
    "GuidelinesError",
    "HistoryEntry",
    "InList",
    "IsNull",
    "Not",
    "Or",
    "Section",
    "Value",
    "Version",
    "check_versions",
    "columns_of",
    "demo_guidelines",
    "evaluate",
    "governing_sections",
    "matches",
    "parse_condition",
    "parse_guidelines",
    "read_guidelines",
    "slug",
    "stale_sections",
    "staleness_frame",
    "structure_hint",
    "to_ibis",
    "to_ibis_filter",
]
