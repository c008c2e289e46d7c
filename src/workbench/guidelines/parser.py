"""Read versioned guidelines written in Markdown (the format is described in the package docstring)."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BadInputError
from .conditions import And, Condition, ConditionSyntaxError, parse_condition
from .document import Guidelines, HistoryEntry, Section, Version, slug

__all__ = ["GuidelinesError", "parse_guidelines", "read_guidelines", "slug"]

KEYS = {
    "classes": "classes",
    "class": "classes",
    "pairs": "pairs",
    "pair": "pairs",
    "conditions": "conditions",
    "condition": "conditions",
    "history": "history",
}
VERSIONS_TITLES = ("versions", "version history")
CONDITION_EXAMPLES = "`device = phone`, `split in (train, eval)`, `length(note) > 40`, `pixel_03 >= 0.5`"

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_ID = re.compile(r"^(.*?)\s*\{#([^}]*)\}\s*$")
_VALID_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*")
_ITEM = re.compile(r"^[-*+][ \t]+(.*)$")
_KEY = re.compile(r"^([A-Za-z][A-Za-z ]*?)[ \t]*:[ \t]*(.*)$")
_NESTED = re.compile(r"^[ \t]+[-*+][ \t]+(.*)$")
_VERSION_ITEM = re.compile(r"^(?P<name>[^\s():]+)[ \t]*\((?P<date>[^)]*)\)[ \t]*(?::[ \t]*(?P<note>.*))?$")
_LEGACY_VERSION = re.compile(r"^\s*version:\s*(?P<name>[^\s():]+)\s*$", re.IGNORECASE)
_HISTORY_ITEM = re.compile(
    r"^(?P<version>[^\s():]+)[ \t]*(?:\((?P<date>[^)]*)\))?"
    r"[ \t]+(?P<kind>added|changed|removed)\b[ \t]*:?[ \t]*(?P<note>.*)$",
    re.IGNORECASE,
)


class GuidelinesError(BadInputError):
    """Guidelines that cannot be used; ``problems`` holds ``(line, message)`` for each problem found."""

    def __init__(self, source: str, problems: list[tuple[int, str]]) -> None:
        self.source = source
        self.problems = tuple(sorted(problems))
        if len(self.problems) == 1:
            line, message = self.problems[0]
            text = f"{source}, line {line}: {message}"
        else:
            text = f"{len(self.problems)} problem(s) in {source}:\n" + "\n".join(
                f"  - line {line}: {message}" for line, message in self.problems
            )
        super().__init__(text)


@dataclass
class _Heading:
    line: int  # 1-based
    level: int
    title: str
    id: str | None


@dataclass
class _Draft:
    heading: _Heading
    end: int  # index (0-based, exclusive) of the first line after the section
    classes: list[tuple[str, int]] = field(default_factory=list)
    pairs: list[tuple[tuple[str, str], int]] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    history: list[tuple[str, str | None, str, str, int]] = field(default_factory=list)
    body_start: int = 0  # 0-based


def _strip_ticks(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == "`":
        return text[1:-1].strip()
    return text


def _headings(lines: list[str]) -> list[_Heading]:
    out = []
    fence: str | None = None
    for i, raw in enumerate(lines):
        m = _FENCE.match(raw)
        if m:
            mark = m.group(1)
            if fence is None:
                fence = mark[0] * len(mark)
            elif mark.startswith(fence):
                fence = None
            continue
        if fence is not None:
            continue
        m = _HEADING.match(raw)
        if not m:
            continue
        title = re.sub(r"[ \t]+#+$", "", m.group(2) or "").strip()
        hid = None
        idm = _ID.match(title)
        if idm:
            title, hid = idm.group(1).strip(), idm.group(2).strip()
        out.append(_Heading(i + 1, len(m.group(1)), title, hid))
    return out


def _parse_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


class _Reader:
    def __init__(self, text: str, classes: Iterable[str] | None, source: str) -> None:
        self.text = text
        self.lines = text.splitlines()
        self.source = source
        self.known = None if classes is None else [str(c) for c in classes]
        self.problems: list[tuple[int, str]] = []

    def problem(self, line: int, message: str) -> None:
        self.problems.append((line, message))

    # ---- versions

    def versions(self, headings: list[_Heading]) -> tuple[list[Version], int]:
        block = next((h for h in headings if h.title.lower() in VERSIONS_TITLES), None)
        if block is None:
            return self.legacy_version(headings)
        end = self.section_end(block, headings)
        out: list[Version] = []
        listed = False
        for i in range(block.line, end):
            raw = self.lines[i]
            m = _ITEM.match(raw)
            listed = listed or m is not None
            if not m:
                if raw.strip() and raw[:1] in " \t" and out:  # a continuation line of the previous note
                    last = out[-1]
                    out[-1] = Version(last.name, last.date, f"{last.note} {raw.strip()}".strip(), last.line)
                continue
            vm = _VERSION_ITEM.match(m.group(1).strip())
            if not vm:
                self.problem(
                    i + 1,
                    f"cannot read the version line {raw.strip()!r}. Write each version as "
                    "`- v2 (2026-10-26): what changed` (a name, its date in parentheses, then a note)",
                )
                continue
            name = _strip_ticks(vm.group("name"))
            date = _parse_date(vm.group("date"))
            if date is None:
                self.problem(
                    i + 1, f"version {name!r} has the date {vm.group('date')!r}; write it as YYYY-MM-DD (2026-10-26)"
                )
                continue
            if any(v.name == name for v in out):
                first = next(v for v in out if v.name == name)
                self.problem(i + 1, f"version {name!r} is listed twice (also line {first.line}); keep one line")
                continue
            if out and out[-1].date and date < out[-1].date:
                self.problem(
                    i + 1,
                    f"version {name!r} ({date}) is dated before {out[-1].name!r} ({out[-1].date}) on the line above; "
                    "list versions oldest first",
                )
            out.append(Version(name, date, (vm.group("note") or "").strip(), i + 1))
        if not listed:
            self.problem(
                block.line,
                f"the {block.title!r} heading lists no versions; add lines like `- v1 (2026-09-28): first version`",
            )
        return out, block.line

    def legacy_version(self, headings: list[_Heading]) -> tuple[list[Version], int]:
        """A plain file's ``version: v2`` line (the older demo format): one undated version."""
        first_section = next((h.line for h in headings if h.id), len(self.lines) + 1)
        for i, raw in enumerate(self.lines[: first_section - 1]):
            m = _LEGACY_VERSION.match(raw)
            if m:
                return [Version(m.group("name"), None, "", i + 1)], i + 1
        return [], 0

    # ---- sections

    def section_end(self, heading: _Heading, headings: list[_Heading]) -> int:
        """0-based exclusive end: the next heading of the same or a higher level, or the next heading with an id."""
        for h in headings:
            if h.line > heading.line and (h.level <= heading.level or h.id):
                return h.line - 1
        return len(self.lines)

    def check_class(self, name: str, line: int, what: str) -> None:
        if self.known is None or name in self.known:
            return
        close = difflib.get_close_matches(name, self.known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        shown = ", ".join(self.known[:20]) + (", ..." if len(self.known) > 20 else "")
        self.problem(
            line,
            f"{what} names the class {name!r}, which the annotations do not use{hint}. "
            f"Known classes: {shown}. Correct the name, or drop it from the section",
        )

    def metadata(self, draft: _Draft, versions: list[Version], versions_line: int) -> None:
        h = draft.heading
        i = h.line  # 0-based index of the line after the heading
        while i < draft.end and not self.lines[i].strip():
            i += 1
        first = _ITEM.match(self.lines[i]) if i < draft.end else None
        key_match = _KEY.match(first.group(1)) if first else None
        if not (key_match and key_match.group(1).strip().lower() in KEYS):
            draft.body_start = i
            return
        items: list[tuple[int, str, str, list[tuple[int, str]]]] = []  # line, key, value, nested lines
        while i < draft.end and self.lines[i].strip():
            raw = self.lines[i]
            m = _ITEM.match(raw)
            if m:
                km = _KEY.match(m.group(1))
                key = km.group(1).strip().lower() if km else ""
                if key not in KEYS:
                    self.problem(
                        i + 1,
                        f"section {h.id!r}: {raw.strip()!r} is not a known entry of the section's list "
                        f"(known: classes, pairs, conditions, history). End the list with a blank line "
                        "before the section text",
                    )
                    i += 1
                    continue
                items.append((i + 1, KEYS[key], km.group(2), []))
            elif raw[:1] in " \t" and items:
                items[-1][3].append((i + 1, raw))
            else:
                self.problem(
                    i + 1,
                    f"section {h.id!r}: the line {raw.strip()!r} follows the section's list without a blank line; "
                    "put a blank line between the list and the section text",
                )
            i += 1
        while i < draft.end and not self.lines[i].strip():
            i += 1
        draft.body_start = i
        for line, key, value, nested in items:
            if key == "history":
                self.history(draft, line, value, nested, versions, versions_line)
                continue
            for _, extra in nested:  # continuation lines of a long value
                value = f"{value} {extra.strip()}"
            value = value.strip()
            if not value:
                self.problem(line, f"section {h.id!r}: `{key}:` has no value; write e.g. `- {key}: {_EXAMPLES[key]}`")
            elif key == "classes":
                for name in (_strip_ticks(v) for v in value.split(",")):
                    if not name:
                        self.problem(line, f"section {h.id!r}: an empty class name in {value!r}")
                        continue
                    self.check_class(name, line, f"section {h.id!r}")
                    draft.classes.append((name, line))
            elif key == "pairs":
                for part in re.split(r"[,;]", value):
                    names = [_strip_ticks(v) for v in part.split("/")]
                    if len(names) != 2 or not all(names) or names[0] == names[1]:
                        self.problem(
                            line,
                            f"section {h.id!r}: cannot read the pair {part.strip()!r}; write two different classes "
                            "separated by a slash, e.g. `- pairs: four / nine, one / seven`",
                        )
                        continue
                    for name in names:
                        self.check_class(name, line, f"section {h.id!r}, pair {part.strip()!r},")
                    draft.pairs.append(((names[0], names[1]), line))
            elif key == "conditions":
                try:
                    cond = parse_condition(value)
                except ConditionSyntaxError as exc:
                    shown = "the end" if exc.token == "<end>" else repr(exc.token)
                    self.problem(
                        line,
                        f"section {h.id!r}: cannot read the condition {_strip_ticks(value)!r} at {shown}: {exc}. "
                        f"Write conditions like {CONDITION_EXAMPLES}",
                    )
                    continue
                draft.conditions += list(cond.parts) if isinstance(cond, And) else [cond]

    def history(
        self,
        draft: _Draft,
        line: int,
        value: str,
        nested: list[tuple[int, str]],
        versions: list[Version],
        versions_line: int,
    ) -> None:
        entries: list[tuple[int, str]] = []
        if value.strip():
            entries.append((line, value.strip()))
        for nline, raw in nested:
            m = _NESTED.match(raw)
            if m:
                entries.append((nline, m.group(1).strip()))
            elif entries:
                entries[-1] = (entries[-1][0], f"{entries[-1][1]} {raw.strip()}")
        if not entries:
            self.problem(line, f"section {draft.heading.id!r}: `history:` lists no entries; add `  - v1 added`")
        names = [v.name for v in versions]
        known = ", ".join(names)
        for eline, text in entries:
            m = _HISTORY_ITEM.match(text)
            if not m:
                self.problem(
                    eline,
                    f"section {draft.heading.id!r}: cannot read the history entry {text!r}. Write "
                    "`- v2 changed: what changed` (a document version, then added, changed or removed)",
                )
                continue
            version = _strip_ticks(m.group("version"))
            if version not in names:
                where = (
                    f"the versions listed at line {versions_line} are {known}"
                    if versions
                    else "the file lists no versions: add a `## Versions` heading with `- v1 (YYYY-MM-DD): ...`"
                )
                self.problem(
                    eline,
                    f"section {draft.heading.id!r}: the history names the document version {version!r}, which the "
                    f"file does not have ({where}). Add the version there, or correct the entry",
                )
                continue
            vdate = versions[names.index(version)].date
            if m.group("date") is not None:
                date = _parse_date(m.group("date"))
                if date is None or (vdate is not None and date != vdate):
                    self.problem(
                        eline,
                        f"section {draft.heading.id!r}: the history gives {version!r} the date {m.group('date')!r}, "
                        f"but the versions list dates it {vdate}. Drop the date here or make the two agree",
                    )
                    continue
            if draft.history and names.index(version) <= names.index(draft.history[-1][0]):
                self.problem(
                    eline,
                    f"section {draft.heading.id!r}: the history entry for {version!r} comes after one for "
                    f"{draft.history[-1][0]!r}; list one entry per version, oldest first",
                )
                continue
            draft.history.append((version, m.group("date"), m.group("kind").lower(), m.group("note").strip(), eline))

    def read(self) -> Guidelines:
        headings = _headings(self.lines)
        title = next((h.title for h in headings if h.level == 1), "")
        versions, versions_line = self.versions(headings)
        by_name = {v.name: v for v in versions}
        seen: dict[str, int] = {}
        sections: list[Section] = []
        for h in headings:
            if h.id is None or h.title.lower() in VERSIONS_TITLES:
                continue
            if not _VALID_ID.fullmatch(h.id):
                self.problem(
                    h.line,
                    f"the section id {h.id!r} is not usable; ids are letters, digits, '-', '_' or '.', "
                    f"e.g. {{#{slug(h.id or h.title)}}}",
                )
                continue
            if h.id in seen:
                self.problem(
                    h.line,
                    f"the section id {h.id!r} is used twice (first at line {seen[h.id]}); give each section its own id",
                )
                continue
            seen[h.id] = h.line
            draft = _Draft(h, self.section_end(h, headings))
            self.metadata(draft, versions, versions_line)
            sections.append(self.finish(draft, by_name))
        if self.problems:
            raise GuidelinesError(self.source, self.problems)
        plain = tuple(
            (h.line, h.title)
            for h in headings
            if h.id is None and h.level > 1 and h.title.lower() not in VERSIONS_TITLES
        )
        return Guidelines(
            versions=tuple(versions),
            sections=tuple(sections),
            text=self.text,
            source=self.source,
            title=title,
            headings=plain,
            versions_line=versions_line,
        )

    def finish(self, draft: _Draft, by_name: dict[str, Version]) -> Section:
        h = draft.heading
        last = draft.end
        while last > h.line and not self.lines[last - 1].strip():
            last -= 1
        body = "\n".join(self.lines[draft.body_start : last]) if draft.body_start < last else ""
        markdown = "\n".join(self.lines[h.line - 1 : last])
        return Section(
            id=h.id or "",
            title=h.title,
            text=body,
            classes=tuple(dict.fromkeys(name for name, _ in draft.classes)),
            pairs=tuple(dict.fromkeys(p for p, _ in draft.pairs)),
            conditions=tuple(draft.conditions),
            history=tuple(
                HistoryEntry(version, kind, note, by_name[version].date, line)  # type: ignore[arg-type]
                for version, _, kind, note, line in draft.history
            ),
            line=h.line,
            end_line=max(last, h.line),
            markdown=markdown,
            level=h.level,
        )


_EXAMPLES = {"classes": "four, nine", "pairs": "four / nine", "conditions": "device = phone"}


def parse_guidelines(text: str, *, classes: Iterable[str] | None = None, source: str = "guidelines.md") -> Guidelines:
    """Parse versioned annotation guidelines written in Markdown.

    Parameters
    ----------
    text : str
        The document (e.g. one stored version of ``guidelines.md``).
    classes : iterable of str, optional
        The known classes; when given, a section naming another class is an error.
    source : str, default "guidelines.md"
        The file name used in messages.

    Returns
    -------
    Guidelines
        Versions, typed sections and the verbatim text. A plain Markdown file without the structure
        parses to a document without versions or sections; :func:`structure_hint` says how to add them.

    Raises
    ------
    GuidelinesError
        A :class:`~workbench.errors.BadInputError` naming the file, the line of every problem and what to do:
        a repeated section id, an unknown class, a condition that does not parse (naming the token), a history
        entry naming a version the file does not list, a malformed versions list.

    Examples
    --------
    >>> from workbench.guidelines import DEMO_CLASSES, demo_guidelines
    >>> g = parse_guidelines(demo_guidelines(), classes=DEMO_CLASSES)
    >>> g.section("four-vs-nine").pairs
    (('four', 'nine'),)
    """
    return _Reader(text, classes, source).read()


def read_guidelines(path: str | Path, *, classes: Iterable[str] | None = None) -> Guidelines:
    """Read and parse a guidelines file (UTF-8); messages name it as given."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read the guidelines file ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise BadInputError(
            f"{path}: the guidelines are not UTF-8 text ({exc.reason}); save the file as UTF-8"
        ) from exc
    return parse_guidelines(text, classes=classes, source=str(path))
