"""The demo dataset's guidelines, in the versioned format (digits drawn 8x8, classes ``zero`` ... ``nine``).

``v1`` (2026-09-28) leaves open whether a four-like digit with a closed top is a four or a nine;
``v2`` (2026-10-26, ISO week 2026-W44) settles it. One versus seven stays ambiguous in both.
"""

from __future__ import annotations

from ..errors import BadInputError

__all__ = ["DEMO_CLASSES", "DEMO_VERSIONS", "demo_guidelines"]

DEMO_CLASSES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
DEMO_VERSIONS = {"v1": "2026-09-28", "v2": "2026-10-26"}

_FOUR_NINE = {
    "v1": (
        "A four is drawn with two or three strokes and a crossing bar. A nine has a loop on top and a stem.\n"
        "\n"
        "These guidelines do not yet say what to do when the top of a four is closed: use your judgement."
    ),
    "v2": (
        "A four has an open top: the two upper strokes do not meet. When the top is closed, label it nine.\n"
        "\n"
        "A nine has a closed loop on top and a stem. If the loop is open, label it four."
    ),
}

_ONE_SEVEN = (
    "A one is a single stroke and may have a flag at the top; a seven has a top stroke and a descending stroke,\n"
    "and may have a crossbar. A one with a long flag looks like a seven without its crossbar: label what is\n"
    "written. How long a flag makes a seven is not decided yet."
)
_ONE_SEVEN_SETTLED = (
    "A one is a single stroke and may have a short flag at the top; a seven has a horizontal top stroke at\n"
    "least half as wide as the digit is tall. A flag shorter than that is a one; a longer one makes a seven."
)


def demo_guidelines(*, version: str = "v2", gaps: bool = True) -> str:
    """The demo's guidelines document as it read in a document version.

    Parameters
    ----------
    version : {"v2", "v1"}
        ``v2`` (the current document, listing both versions) or ``v1`` (the document as first issued).
    gaps : bool
        ``True`` (the demo): v2 changes the four/nine rule and one versus seven is left open.
        ``False`` (the variant with no planted gap): both pairs are settled from v1 on and v2 changes no
        section (it is listed, as the annotations name it, as an editorial revision).

    Returns
    -------
    str
        Markdown in the versioned guidelines format.

    Examples
    --------
    >>> from workbench.guidelines import parse_guidelines
    >>> g = parse_guidelines(demo_guidelines(), classes=DEMO_CLASSES)
    >>> g.stale_sections("four", "v1"), g.stale_sections("one", "v1")
    (['four-vs-nine'], [])
    """
    if version not in DEMO_VERSIONS:
        raise BadInputError(f"the demo guidelines have versions v1 and v2, not {version!r}")
    v2 = version == "v2"
    versions = "- v1 (2026-09-28): first version for the labeling team"
    if v2:
        versions += (
            "\n- v2 (2026-10-26): settles four versus nine (from ISO week 2026-W44)"
            if gaps
            else "\n- v2 (2026-10-26): editorial revision, no rule changes (from ISO week 2026-W44)"
        )
    four_nine_history = "  - v1 added: left open whether a closed top makes a four or a nine"
    if v2 and gaps:
        four_nine_history += "\n  - v2 changed: settles four versus nine: a closed top loop is nine"
    four_nine = _FOUR_NINE[version] if gaps else _FOUR_NINE["v2"]
    if not gaps:
        four_nine_history = "  - v1 added: a closed top loop is nine"
    one_seven = _ONE_SEVEN if gaps else _ONE_SEVEN_SETTLED
    return f"""# Digit labeling guidelines

Label each scanned form field with the digit it shows. Use the class name, e.g. `seven`.

## Versions

{versions}

## General rules {{#general}}

- history:
  - v1 added

Look at the whole 8x8 image before choosing a class.

- Label what is written, not what the writer probably meant.
- If the image is blank or not a digit, skip it.

## Digit shapes {{#shapes}}

- classes: zero, one, two, three, four, five, six, seven, eight, nine
- history:
  - v1 added

What each digit looks like. Where two digits are easy to confuse, a section of its own decides.

- **zero**: a closed oval. A slashed zero is still zero.
- **one**: a single stroke, mostly vertical. It may have a flag or a base.
- **two**: a curved top, a diagonal, and a flat base.
- **three**: two bumps open to the left, stacked.
- **four**: two or three strokes and a crossing bar; see *Fours and nines*.
- **five**: a flat top bar, a vertical, and a lower bump open to the left.
- **six**: a stem curving down into a closed lower loop.
- **seven**: a top stroke and a descending stroke. It may have a crossbar.
- **eight**: two stacked closed loops.
- **nine**: a loop on top and a stem; see *Fours and nines*.

## Fours and nines {{#four-vs-nine}}

- pairs: four / nine
- history:
{four_nine_history}

{four_nine}

## Ones and sevens {{#one-vs-seven}}

- pairs: one / seven
- history:
  - v1 added

{one_seven}

## Threes, fives and eights {{#three-five-eight}}

- classes: three, five, eight
- pairs: three / eight, three / five, five / eight
- history:
  - v1 added

An eight has two closed loops; a three has two bumps open to the left. If both loops are closed, label it
eight. A five has a flat top bar; a three has a curved top.

## Zeros and sixes {{#zero-vs-six}}

- pairs: zero / six
- history:
  - v1 added

A six has a stem above its closed lower loop; a zero has none. A zero drawn with a tail at the top is still zero.

## Phone captures {{#phone-captured}}

- conditions: device = phone
- history:
  - v1 added

Photos taken with a phone are fainter and lower in contrast than scans. Judge the strokes, not the
background; if the digit cannot be read at all, skip the item.

## Synthetic items {{#synthetic}}

- conditions: source = synthetic
- history:
  - v1 added

Synthetic items are drawn by a generator model (`source_model`). Label the digit that is drawn, not the one
the generator was probably asked for; skip items that show no digit.
"""
