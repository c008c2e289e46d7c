"""The parsed guidelines: document versions, typed sections with their history, and the rules on them.

:class:`Guidelines` and :class:`Section` are what :func:`~workbench.guidelines.parse_guidelines`
returns. The rules a gap analysis needs live here as functions of a :class:`Guidelines`:
:func:`governing_sections` (which sections govern a class, a pair or an item) and
:func:`stale_sections` (which of them changed after the version a label was given under).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from ..errors import BadInputError
from .conditions import And, Condition
from .evaluation import matches

__all__ = [
    "Guidelines",
    "HistoryEntry",
    "Section",
    "Version",
    "check_versions",
    "governing_sections",
    "slug",
    "stale_sections",
    "staleness_frame",
    "structure_hint",
]

ChangeKind = Literal["added", "changed", "removed"]


@dataclass(frozen=True)
class Version:
    """One version of the whole document: ``name`` (as annotations' ``guideline_version`` names it),
    the ``date`` it took effect (None only for a legacy ``version: v2`` line), a ``note`` and its ``line``."""

    name: str
    date: dt.date | None
    note: str = ""
    line: int = 0

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "date": self.date.isoformat() if self.date else None,
            "note": self.note,
            "line": self.line,
        }


@dataclass(frozen=True)
class HistoryEntry:
    """One entry of a section's history: in document ``version`` (dated ``date``) it was ``kind``."""

    version: str
    kind: ChangeKind
    note: str = ""
    date: dt.date | None = None
    line: int = 0

    def __str__(self) -> str:
        when = f" ({self.date.isoformat()})" if self.date else ""
        return f"{self.version}{when} {self.kind}" + (f": {self.note}" if self.note else "")

    def to_dict(self) -> dict:
        return {
            "version": self.version,
            "kind": self.kind,
            "note": self.note,
            "date": self.date.isoformat() if self.date else None,
            "line": self.line,
        }


@dataclass(frozen=True)
class Section:
    """A typed section of the guidelines.

    Attributes
    ----------
    id : str
        The stable id from the heading (``## Ones and sevens {#one-vs-seven}``).
    title : str
        The heading text without the id.
    text : str
        The section's body as written (the lines after its metadata list), for display beside a gap.
    classes : tuple of str
        Classes the section covers (``- classes: four, nine``).
    pairs : tuple of (str, str)
        Class pairs it distinguishes (``- pairs: four / nine``), each as written.
    conditions : tuple of Condition
        Conditions on item columns that must all hold for the section to govern an item
        (``- conditions: device = phone``); a top-level ``and`` is split into its parts.
    history : tuple of HistoryEntry
        In which document versions the section was added, changed or removed, oldest first.
    line, end_line : int
        First (heading) and last line of the section in the file, 1-based.
    markdown : str
        The verbatim lines of the section, heading included.
    level : int
        Heading level (2 for ``##``).
    """

    id: str
    title: str
    text: str = ""
    classes: tuple[str, ...] = ()
    pairs: tuple[tuple[str, str], ...] = ()
    conditions: tuple[Condition, ...] = ()
    history: tuple[HistoryEntry, ...] = ()
    line: int = 0
    end_line: int = 0
    markdown: str = ""
    level: int = 2

    @property
    def governed_classes(self) -> tuple[str, ...]:
        """The classes named directly or through a pair, in the order written, without repeats."""
        out = list(self.classes)
        for pair in self.pairs:
            out += [c for c in pair if c not in out]
        return tuple(dict.fromkeys(out))

    @property
    def condition(self) -> Condition | None:
        """All conditions as one (their ``and``), or None when the section has none."""
        if not self.conditions:
            return None
        return self.conditions[0] if len(self.conditions) == 1 else And(self.conditions)

    @property
    def added_in(self) -> str | None:
        """The version of the first history entry, or None when the section has no history."""
        return self.history[0].version if self.history else None

    @property
    def is_general(self) -> bool:
        """True when the section names no classes, pairs or conditions (it governs nothing in particular)."""
        return not (self.classes or self.pairs or self.conditions)

    def governs_pair(self, a: str, b: str) -> bool:
        """True when the section distinguishes ``a`` from ``b`` (a pair in either order)."""
        return any({a, b} == set(p) for p in self.pairs)

    def to_dict(self) -> dict:
        """JSON-safe: conditions as their canonical text and as a tree."""
        return {
            "id": self.id,
            "title": self.title,
            "text": self.text,
            "classes": list(self.classes),
            "pairs": [list(p) for p in self.pairs],
            "conditions": [str(c) for c in self.conditions],
            "condition_trees": [c.to_dict() for c in self.conditions],
            "history": [h.to_dict() for h in self.history],
            "line": self.line,
            "end_line": self.end_line,
            "level": self.level,
        }


@dataclass(frozen=True)
class Guidelines:
    """Parsed annotation guidelines.

    Attributes
    ----------
    versions : tuple of Version
        Document versions, oldest first (the order of the ``## Versions`` list).
    sections : tuple of Section
        Typed sections (headings with an ``{#id}``), in document order. Empty for a plain file.
    text : str
        The source text, verbatim.
    source : str
        The file name used in messages (``guidelines.md``).
    title : str
        The first ``#`` heading, if any.
    headings : tuple of (int, str)
        ``(line, title)`` of the headings that carry no id (shown by :func:`structure_hint`).
    versions_line : int
        The line of the ``## Versions`` heading (or of a legacy ``version:`` line); 0 when there is none.
    """

    versions: tuple[Version, ...] = ()
    sections: tuple[Section, ...] = ()
    text: str = ""
    source: str = "guidelines.md"
    title: str = ""
    headings: tuple[tuple[int, str], ...] = field(default_factory=tuple)
    versions_line: int = 0

    @property
    def version_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.versions)

    @property
    def is_structured(self) -> bool:
        """True when the file declares versions or has typed sections."""
        return bool(self.versions or self.sections)

    def version(self, name: str) -> Version:
        """The document version called ``name``; BadInputError naming the known versions otherwise."""
        for v in self.versions:
            if v.name == name:
                return v
        raise BadInputError(_unknown_version_message(self, [name]))

    def section(self, id: str) -> Section:
        """The section with this id; BadInputError listing the ids otherwise."""
        for s in self.sections:
            if s.id == id:
                return s
        ids = ", ".join(s.id for s in self.sections) or "none: the file has no typed sections"
        raise BadInputError(f"{self.source} has no section {id!r} (sections: {ids})")

    def text_of(self, id: str) -> str:
        """The verbatim Markdown of a section, heading included, for display beside a gap."""
        return self.section(id).markdown

    def governing_sections(self, **kwargs: Any) -> list[Section]:
        """Shortcut for :func:`governing_sections` on this document."""
        return governing_sections(self, **kwargs)

    def stale_sections(self, label: str, version: str, **kwargs: Any) -> list[str]:
        """Shortcut for :func:`stale_sections` on this document."""
        return stale_sections(self, label, version, **kwargs)

    def to_dict(self) -> dict:
        """JSON-safe: versions, sections (with history and conditions), title and source name; not the text."""
        return {
            "source": self.source,
            "title": self.title,
            "structured": self.is_structured,
            "versions": [v.to_dict() for v in self.versions],
            "sections": [s.to_dict() for s in self.sections],
            "hint": structure_hint(self),
        }

    def summary_lines(self) -> list[str]:
        """A few lines for a terminal or a report: versions, then one line per section."""
        if not self.is_structured:
            return [f"{self.source}: plain guidelines, no versions or typed sections"]
        names = ", ".join(f"{v.name} ({v.date.isoformat()})" if v.date else v.name for v in self.versions)
        lines = [f"{self.source}: {len(self.sections)} section(s), versions {names or 'none declared'}"]
        for s in self.sections:
            covers = []
            if s.classes:
                covers.append("classes " + ", ".join(s.classes))
            if s.pairs:
                covers.append("pairs " + ", ".join(f"{a} / {b}" for a, b in s.pairs))
            if s.conditions:
                covers.append("when " + " and ".join(str(c) for c in s.conditions))
            history = "; ".join(f"{h.version} {h.kind}" for h in s.history) or "no history"
            lines.append(f"  {s.id}: {s.title} [{'; '.join(covers) or 'general'}] ({history})")
        return lines


# ------------------------------------------------------------------------------------------- rules


def slug(title: str) -> str:
    """A section id suggested for a heading: ``"Ones and sevens"`` -> ``"ones-and-sevens"``."""
    out = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return out or "section"


def _unknown_version_message(guidelines: Guidelines, names: Iterable[str]) -> str:
    names = sorted(set(names))
    shown = ", ".join(repr(n) for n in names)
    known = ", ".join(guidelines.version_names)
    if guidelines.versions_line:
        where = f"{guidelines.source}, line {guidelines.versions_line}"
        todo = f"add a line like `- {names[0]} (YYYY-MM-DD): what changed` to the versions list there"
        return (
            f"{where}: the annotations name guideline version(s) {shown} that the guidelines do not have "
            f"(they have {known}). Either {todo}, or correct the annotations' guideline_version"
        )
    return (
        f"{guidelines.source}, line 1: the annotations name guideline version(s) {shown} but the guidelines "
        "declare no versions. Add a `## Versions` heading near the top with one line per version, e.g. "
        f"`- {names[0]} (YYYY-MM-DD): first version`"
    )


def check_versions(guidelines: Guidelines, used: Iterable[str | None]) -> None:
    """Check that every guideline version the annotations use is a version of the document.

    Parameters
    ----------
    guidelines : Guidelines
        The parsed document.
    used : iterable of str
        The distinct ``guideline_version`` values of the annotations (missing values are ignored).

    Raises
    ------
    BadInputError
        Naming the file, the line of its versions list and the versions it lacks.
    """
    names = {str(v) for v in used if v is not None and not (isinstance(v, float) and v != v)}
    unknown = names - set(guidelines.version_names)
    if unknown:
        raise BadInputError(_unknown_version_message(guidelines, unknown))


def _version_index(guidelines: Guidelines, name: str) -> int:
    names = guidelines.version_names
    if name not in names:
        raise BadInputError(_unknown_version_message(guidelines, [name]))
    return names.index(name)


def _present_at(section: Section, index: int, guidelines: Guidelines) -> bool:
    """Whether the section was part of the document at the version with this index."""
    state = section.history[0].kind != "added" if section.history else True
    for h in section.history:
        if _version_index(guidelines, h.version) > index:
            break
        state = h.kind != "removed"
    return state


def _item_frame(item: Mapping[str, Any] | pd.Series | pd.DataFrame) -> pd.DataFrame:
    if isinstance(item, pd.DataFrame):
        return item
    if isinstance(item, pd.Series):
        return item.to_frame().T.infer_objects()
    return pd.DataFrame([dict(item)]).infer_objects()


def governing_sections(
    guidelines: Guidelines,
    *,
    classes: Iterable[str] | str | None = None,
    pair: tuple[str, str] | None = None,
    item: Mapping[str, Any] | pd.Series | None = None,
    version: str | None = None,
) -> list[Section]:
    """The sections that govern a class, a pair of classes, and/or an item.

    Parameters
    ----------
    guidelines : Guidelines
        The parsed document.
    classes : str or iterable of str, optional
        A section governs when it names one of these classes, directly (``classes:``) or in a pair.
    pair : (str, str), optional
        A section governs when it lists this pair, in either order (``pairs:``). With both ``classes``
        and ``pair``, either match counts.
    item : mapping or pandas.Series, optional
        The item's columns. A section with conditions governs only the items that match them (and, when
        it names no classes, every class of those items); without ``item``, sections with conditions are
        left out of class and pair queries (they govern items, not whole classes).
    version : str, optional
        Only sections present in that document version (added at or before it and not removed).

    Returns
    -------
    list of Section
        In document order. General sections (no classes, pairs or conditions) govern no class in
        particular and are returned only when nothing is asked (then every section is). With only
        ``item``, the sections whose conditions the item matches.

    Examples
    --------
    >>> from workbench.guidelines import demo_guidelines, parse_guidelines
    >>> g = parse_guidelines(demo_guidelines())
    >>> [s.id for s in governing_sections(g, pair=("seven", "one"))]
    ['one-vs-seven']
    >>> [s.id for s in governing_sections(g, classes="four", item={"device": "phone", "source": "human"})]
    ['shapes', 'four-vs-nine', 'phone-captured']
    """
    if isinstance(classes, str):
        classes = [classes]
    wanted = set(classes) if classes is not None else None
    index = _version_index(guidelines, version) if version is not None else None
    frame = _item_frame(item) if item is not None else None
    filtered = wanted is not None or pair is not None or frame is not None
    out = []
    for s in guidelines.sections:
        if index is not None and not _present_at(s, index, guidelines):
            continue
        if not filtered:
            out.append(s)
            continue
        if s.conditions:
            if frame is None:
                continue
            label = f"{guidelines.source}, line {s.line} (section {s.id})"
            if not bool(matches(s.condition, frame, label=label).iloc[0]):
                continue
        if wanted is not None or pair is not None:
            governed = set(s.governed_classes)
            if not governed and s.conditions:
                out.append(s)  # governs every class of the items it matches
                continue
            by_class = wanted is not None and bool(wanted & governed)
            by_pair = pair is not None and s.governs_pair(*pair)
            if not (by_class or by_pair):
                continue
        elif not s.conditions:
            continue  # only an item: the sections whose conditions it matches
        out.append(s)
    return out


def stale_sections(
    guidelines: Guidelines,
    label: str,
    version: str,
    *,
    item: Mapping[str, Any] | pd.Series | None = None,
) -> list[str]:
    """The ids of the sections that make a label stale.

    A label given under document version ``version`` is stale when a section that governs its class
    (directly or through a pair; with ``item``, also the sections whose conditions the item matches)
    was added, changed or removed in a later version: the annotator followed rules that have changed since.

    Parameters
    ----------
    guidelines : Guidelines
        The parsed document.
    label : str
        The class given.
    version : str
        The annotation's ``guideline_version``.
    item : mapping or pandas.Series, optional
        The item's columns, to include the sections with conditions that govern it.

    Returns
    -------
    list of str
        Section ids in document order; empty when the label follows the current rules.

    Raises
    ------
    BadInputError
        When ``version`` is not a version of the document.

    Examples
    --------
    >>> from workbench.guidelines import demo_guidelines, parse_guidelines
    >>> g = parse_guidelines(demo_guidelines())
    >>> stale_sections(g, "four", "v1"), stale_sections(g, "one", "v1")
    (['four-vs-nine'], [])
    """
    index = _version_index(guidelines, version)
    return [
        s.id
        for s in governing_sections(guidelines, classes=[label], item=item)
        if any(_version_index(guidelines, h.version) > index for h in s.history)
    ]


def staleness_frame(guidelines: Guidelines, classes: Iterable[str]) -> pd.DataFrame:
    """Every (label, guideline_version, section_id) for which a label of that class and version is stale.

    The class-level rule of :func:`stale_sections` (sections with conditions left out) as a long table
    a slice analysis can join to annotations on ``label`` and ``guideline_version`` (e.g. via
    ``ibis.memtable``).

    Returns
    -------
    pandas.DataFrame
        Columns ``label``, ``guideline_version``, ``section_id``, ``changed_in`` (the first later version
        that touched the section).
    """
    rows = []
    names = guidelines.version_names
    for label in classes:
        for i, version in enumerate(names):
            for sid in stale_sections(guidelines, label, version):
                later = [h.version for h in guidelines.section(sid).history if names.index(h.version) > i]
                rows.append({"label": label, "guideline_version": version, "section_id": sid, "changed_in": later[0]})
    return pd.DataFrame(rows, columns=["label", "guideline_version", "section_id", "changed_in"])


def structure_hint(guidelines: Guidelines) -> str | None:
    """How to add the versioned structure to a plain guidelines file, or None when it has it.

    The message a report shows beside plain guidelines: it names the file, suggests ids for its
    headings, and shows the lines to add.
    """
    missing = []
    if not guidelines.versions:
        missing.append("versions list")
    if not guidelines.sections:
        missing.append("section ids")
    untracked = [s.id for s in guidelines.sections if not s.history]
    if not missing and not untracked:
        return None
    if not missing:
        return (
            f"{guidelines.source}: section(s) {', '.join(untracked)} have no history, so labels cannot be "
            "checked against their changes. Add `- history:` with a line like `  - v1 added` under each heading"
        )
    examples = [(line, title) for line, title in guidelines.headings if title][:3]
    shown = "; ".join(f"line {line}: `## {title} {{#{slug(title)}}}`" for line, title in examples)
    lines = [
        f"{guidelines.source} has no {' and no '.join(missing)}, so guideline gaps cannot be traced to sections.",
        "To add them: list the document versions under a `## Versions` heading (`- v1 (2026-09-28): first version`);",
        "give each section a stable id at the end of its heading (`## Fours and nines {#four-vs-nine}`);",
        "and start the section with a short list: `- classes: four, nine`, `- pairs: four / nine`,",
        "`- conditions: device = phone` (optional), `- history:` with lines like `  - v2 changed: what changed`.",
    ]
    if shown:
        lines.append(f"Suggested ids for its headings: {shown}.")
    return "\n".join(lines)
