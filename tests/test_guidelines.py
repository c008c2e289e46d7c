"""Versioned guidelines: the demo file's sections and history, the stale rule, every bad input with its line,
conditions compiled to ibis equal to the pandas evaluator, and plain Markdown files."""

from __future__ import annotations

import json
import textwrap

import ibis
import numpy as np
import pandas as pd
import pytest

from workbench.errors import BadInputError
from workbench.guidelines import (
    DEMO_CLASSES,
    And,
    Column,
    Compare,
    Function,
    GuidelinesError,
    InList,
    Value,
    check_versions,
    columns_of,
    demo_guidelines,
    evaluate,
    governing_sections,
    matches,
    parse_condition,
    parse_guidelines,
    read_guidelines,
    stale_sections,
    staleness_frame,
    structure_hint,
    to_ibis,
    to_ibis_filter,
)
from workbench.guidelines.conditions import ConditionSyntaxError


@pytest.fixture(scope="module")
def demo():
    return parse_guidelines(demo_guidelines(), classes=DEMO_CLASSES)


def doc(body: str) -> str:
    """A small guidelines document: title, versions v1 and v2, then ``body``."""
    head = "# Pets\n\n## Versions\n\n- v1 (2026-01-05): first\n- v2 (2026-02-02): cats and dogs\n\n"
    return head + textwrap.dedent(body)


def parse_error(text: str, **kwargs) -> GuidelinesError:
    with pytest.raises(BadInputError) as info:
        parse_guidelines(text, **kwargs)
    assert isinstance(info.value, GuidelinesError)
    return info.value


# ------------------------------------------------------------------------------------- the demo file


def test_demo_sections_versions_and_pairs(demo):
    assert [s.id for s in demo.sections] == [
        "general",
        "shapes",
        "four-vs-nine",
        "one-vs-seven",
        "three-five-eight",
        "zero-vs-six",
        "phone-captured",
        "synthetic",
    ]
    assert [(v.name, v.date.isoformat()) for v in demo.versions] == [("v1", "2026-09-28"), ("v2", "2026-10-26")]
    assert demo.version("v2").date.isocalendar()[:2] == (2026, 44)
    assert demo.title == "Digit labeling guidelines"
    assert demo.section("four-vs-nine").pairs == (("four", "nine"),)
    assert demo.section("one-vs-seven").pairs == (("one", "seven"),)
    assert demo.section("one-vs-seven").title == "Ones and sevens"
    assert demo.section("shapes").classes == DEMO_CLASSES
    assert demo.section("three-five-eight").governed_classes == ("three", "five", "eight")
    assert [str(c) for c in demo.section("phone-captured").conditions] == ["device = phone"]
    assert [str(c) for c in demo.section("synthetic").conditions] == ["source = synthetic"]
    assert demo.section("general").is_general


def test_demo_histories(demo):
    four_nine = [(h.version, h.kind, h.note, h.date.isoformat()) for h in demo.section("four-vs-nine").history]
    assert four_nine == [
        ("v1", "added", "left open whether a closed top makes a four or a nine", "2026-09-28"),
        ("v2", "changed", "settles four versus nine: a closed top loop is nine", "2026-10-26"),
    ]
    assert [(h.version, h.kind) for h in demo.section("one-vs-seven").history] == [("v1", "added")]
    assert all(s.history[0].version == "v1" for s in demo.sections)


def test_demo_text_and_markdown_are_verbatim(demo):
    text = demo_guidelines()
    four_nine = demo.section("four-vs-nine")
    assert four_nine.text.startswith("A four has an open top")
    assert four_nine.text.endswith("If the loop is open, label it four.")
    assert demo.text_of("four-vs-nine").startswith("## Fours and nines {#four-vs-nine}\n\n- pairs: four / nine")
    assert demo.text_of("four-vs-nine") in text
    lines = text.splitlines()
    assert lines[four_nine.line - 1] == "## Fours and nines {#four-vs-nine}"
    assert (
        lines[four_nine.end_line - 1]
        == "A nine has a closed loop on top and a stem. If the loop is open, label it four."
    )
    assert demo.text == text


def test_demo_v1_document_leaves_four_nine_open_and_one_seven_unchanged(demo):
    v1 = parse_guidelines(demo_guidelines(version="v1"), classes=DEMO_CLASSES)
    assert v1.version_names == ("v1",)
    assert [h.version for h in v1.section("four-vs-nine").history] == ["v1"]
    assert "use your judgement" in v1.section("four-vs-nine").text
    assert v1.section("four-vs-nine").text != demo.section("four-vs-nine").text
    for sid in ("one-vs-seven", "shapes", "general", "phone-captured", "synthetic"):
        assert v1.text_of(sid) == demo.text_of(sid)
    with pytest.raises(BadInputError, match="v1 and v2"):
        demo_guidelines(version="v3")


def test_demo_to_dict_is_json_and_summary_names_every_section(demo):
    data = json.loads(json.dumps(demo.to_dict()))
    assert data["versions"][1] == {"name": "v2", "date": "2026-10-26", "note": data["versions"][1]["note"], "line": 8}
    four_nine = next(s for s in data["sections"] if s["id"] == "four-vs-nine")
    assert four_nine["pairs"] == [["four", "nine"]]
    assert [h["kind"] for h in four_nine["history"]] == ["added", "changed"]
    phone = next(s for s in data["sections"] if s["id"] == "phone-captured")
    assert phone["condition_trees"] == [
        {"type": "compare", "operand": {"column": "device"}, "op": "=", "value": "phone"}
    ]
    assert data["hint"] is None
    lines = demo.summary_lines()
    assert lines[0] == "guidelines.md: 8 section(s), versions v1 (2026-09-28), v2 (2026-10-26)"
    assert "  four-vs-nine: Fours and nines [pairs four / nine] (v1 added; v2 changed)" in lines
    assert "  phone-captured: Phone captures [when device = phone] (v1 added)" in lines


# ----------------------------------------------------------------------------------------- the rules


def test_four_under_v1_is_stale_via_four_vs_nine_and_one_is_not(demo):
    assert stale_sections(demo, "four", "v1") == ["four-vs-nine"]
    assert stale_sections(demo, "nine", "v1") == ["four-vs-nine"]
    assert stale_sections(demo, "one", "v1") == []
    assert stale_sections(demo, "seven", "v1") == []
    assert stale_sections(demo, "four", "v2") == []
    assert demo.stale_sections("four", "v1", item={"device": "phone", "source": "human"}) == ["four-vs-nine"]
    with pytest.raises(BadInputError, match=r"guidelines.md, line 5: .*'v3'.*they have v1, v2"):
        stale_sections(demo, "four", "v3")


def test_staleness_frame_lists_each_stale_label_version(demo):
    frame = staleness_frame(demo, DEMO_CLASSES)
    assert frame.to_dict("records") == [
        {"label": "four", "guideline_version": "v1", "section_id": "four-vs-nine", "changed_in": "v2"},
        {"label": "nine", "guideline_version": "v1", "section_id": "four-vs-nine", "changed_in": "v2"},
    ]


def test_governing_sections_by_class_pair_and_item(demo):
    ids = lambda sections: [s.id for s in sections]  # noqa: E731
    assert ids(governing_sections(demo, pair=("seven", "one"))) == ["one-vs-seven"]
    assert ids(demo.governing_sections(pair=("four", "nine"))) == ["four-vs-nine"]
    assert ids(governing_sections(demo, classes="four")) == ["shapes", "four-vs-nine"]
    assert ids(governing_sections(demo, classes=["five", "six"])) == ["shapes", "three-five-eight", "zero-vs-six"]
    phone = pd.Series({"device": "phone", "source": "human", "pixel_00": 0.0})
    assert ids(governing_sections(demo, item=phone)) == ["phone-captured"]
    assert ids(governing_sections(demo, classes="one", item=phone)) == ["shapes", "one-vs-seven", "phone-captured"]
    synthetic = {"device": "scanner_a", "source": "synthetic"}
    assert ids(governing_sections(demo, classes="one", item=synthetic)) == ["shapes", "one-vs-seven", "synthetic"]
    assert len(governing_sections(demo)) == len(demo.sections)


def test_stale_counts_additions_and_removals_and_version_filters_sections():
    g = parse_guidelines(
        doc("""\
        ## Cats {#cats}

        - classes: cat
        - history: v1 added

        Whiskers.

        ## Dogs and wolves {#dog-vs-wolf}

        - pairs: dog / wolf
        - history: v2 added: wolves are a class now

        ## Old birds rule {#birds}

        - classes: bird
        - history:
          - v1 added
          - v2 (2026-02-02) removed: birds are out of scope

        ## Thumbnails {#thumbs}

        - classes: cat
        - conditions: width < 64 and height < 64
        - history:
          - v1 added
          - v2 changed
        """)
    )
    assert stale_sections(g, "dog", "v1") == ["dog-vs-wolf"]
    assert stale_sections(g, "bird", "v1") == ["birds"]
    assert stale_sections(g, "cat", "v1") == []
    assert stale_sections(g, "cat", "v1", item={"width": 32, "height": 40}) == ["thumbs"]
    assert stale_sections(g, "cat", "v1", item={"width": 32, "height": 400}) == []
    assert [str(c) for c in g.section("thumbs").conditions] == ["width < 64", "height < 64"]
    assert [s.id for s in governing_sections(g, version="v1")] == ["cats", "birds", "thumbs"]
    assert [s.id for s in governing_sections(g, version="v2")] == ["cats", "dog-vs-wolf", "thumbs"]


# -------------------------------------------------------------------------------------- bad inputs


def test_repeated_section_id_names_both_lines():
    err = parse_error(doc("## Cats {#cats}\n\nA.\n\n## More cats {#cats}\n\nB.\n"))
    assert err.problems == (
        (12, "the section id 'cats' is used twice (first at line 8); give each section its own id"),
    )
    assert str(err).startswith("guidelines.md, line 12: the section id 'cats' is used twice (first at line 8)")


def test_unknown_class_names_line_and_suggests_the_close_one():
    text = doc("## Cats {#cats}\n\n- classes: cat\n- pairs: cat / dgo\n\nA.\n")
    err = parse_error(text, classes=["cat", "dog"])
    assert "guidelines.md, line 11:" in str(err)
    assert "'dgo'" in str(err) and "did you mean 'dog'?" in str(err) and "Known classes: cat, dog" in str(err)
    assert parse_guidelines(text).section("cats").pairs == (("cat", "dgo"),)  # without classes: no check


def test_unparseable_condition_names_the_token_and_line():
    err = parse_error(doc("## Phone {#phone}\n\n- conditions: device == phone and length(note) >> 4\n"))
    message = str(err)
    assert message.startswith("guidelines.md, line 10: section 'phone': cannot read the condition")
    assert "at '>'" in message and "character 35" in message and "Write conditions like `device = phone`" in message
    err = parse_error(doc("## Phone {#phone}\n\n- conditions: size(note) > 4\n"))
    assert "line 10" in str(err) and "unknown function 'size'" in str(err)


def test_history_naming_an_unknown_version_names_the_line():
    err = parse_error(doc("## Cats {#cats}\n\n- classes: cat\n- history:\n  - v1 added\n  - v3 changed: more cats\n"))
    assert err.problems[0][0] == 13
    assert "guidelines.md, line 13: section 'cats': the history names the document version 'v3'" in str(err)
    assert "the versions listed at line 3 are v1, v2" in str(err)


def test_history_without_any_versions_says_to_add_them():
    err = parse_error("# Pets\n\n## Cats {#cats}\n\n- history: v1 added\n")
    assert "line 5" in str(err) and "add a `## Versions` heading" in str(err)


def test_annotations_naming_a_missing_version(demo):
    check_versions(demo, ["v1", "v2", None, float("nan")])
    with pytest.raises(BadInputError) as info:
        check_versions(demo, {"v1", "v3", "v0"})
    message = str(info.value)
    assert message.startswith("guidelines.md, line 5: the annotations name guideline version(s) 'v0', 'v3'")
    assert "(they have v1, v2)" in message and "`- v0 (YYYY-MM-DD): what changed`" in message
    plain = parse_guidelines("# Notes\n\nBe careful.\n")
    with pytest.raises(BadInputError, match=r"guidelines.md, line 1: .*declare no versions"):
        check_versions(plain, ["v1"])


def test_every_problem_is_reported_at_once_with_its_line():
    text = doc("""\
        ## Cats {#cats}

        - classes: cat
        - colour: black

        ## Dogs {#Dogs and more}

        ## Fish {#fish}

        - history: v2 changd
        """)
    err = parse_error(text)
    assert [line for line, _ in err.problems] == [11, 13, 17]
    assert str(err).startswith("3 problem(s) in guidelines.md:\n  - line 11: section 'cats': '- colour: black'")
    assert "line 13: the section id 'Dogs and more' is not usable" in str(err)
    assert "line 17: section 'fish': cannot read the history entry 'v2 changd'" in str(err)


@pytest.mark.parametrize(
    ("versions", "line", "fragment"),
    [
        ("- v1 (2026-1-5): first\n", 5, "write it as YYYY-MM-DD"),
        ("- v1 (2026-01-05): first\n- v1 (2026-02-05): again\n", 6, "listed twice (also line 5)"),
        ("- v1 (2026-03-05): first\n- v2 (2026-02-05): second\n", 6, "list versions oldest first"),
        ("- v1 on 2026-01-05\n", 5, "cannot read the version line '- v1 on 2026-01-05'"),
        ("Nothing here yet.\n", 3, "lists no versions"),
    ],
)
def test_bad_versions_lists(versions, line, fragment):
    err = parse_error(f"# Pets\n\n## Versions\n\n{versions}\n## Cats {{#cats}}\n\nA.\n")
    assert err.problems[0][0] == line
    assert f"line {line}: " in str(err) and fragment in str(err)


def test_history_date_must_match_and_entries_go_oldest_first():
    err = parse_error(doc("## Cats {#cats}\n\n- history:\n  - v1 (2026-01-06) added\n"))
    assert "line 11" in str(err) and "the versions list dates it 2026-01-05" in str(err)
    err = parse_error(doc("## Cats {#cats}\n\n- history:\n  - v2 added\n  - v1 changed\n"))
    assert "line 12" in str(err) and "oldest first" in str(err)


def test_text_right_after_the_list_needs_a_blank_line():
    err = parse_error(doc("## Cats {#cats}\n\n- classes: cat\nCats have whiskers.\n"))
    assert "line 11" in str(err) and "put a blank line between the list and the section text" in str(err)


def test_read_guidelines_names_the_file(tmp_path):
    path = tmp_path / "guidelines.md"
    path.write_text(doc("## Cats {#cats}\n\nA.\n\n## Cats again {#cats}\n"), encoding="utf-8")
    with pytest.raises(BadInputError, match=rf"^{path}, line 12: the section id 'cats' is used twice"):
        read_guidelines(path)
    with pytest.raises(BadInputError, match="cannot read the guidelines file"):
        read_guidelines(tmp_path / "missing.md")
    path.write_text(doc("## Cats {#cats}\n\nA.\n"), encoding="utf-8")
    assert read_guidelines(path, classes=["cat"]).source == str(path)


# ---------------------------------------------------------------------------------- plain Markdown


LEGACY = """# Digit labeling guidelines (v2)

version: v2

Label each scanned form field with the digit it shows.

## General rules

- Label what is written, not what the writer probably meant.

## four

A four has an open top.
"""


def test_plain_markdown_parses_with_no_sections_and_a_hint():
    g = parse_guidelines("# Notes\n\nJust label carefully.\n\n## Cats\n\nWhiskers.\n", source="data/guidelines.md")
    assert g.sections == () and g.versions == () and not g.is_structured
    assert g.headings == ((5, "Cats"),)
    hint = structure_hint(g)
    assert hint.splitlines()[0] == (
        "data/guidelines.md has no versions list and no section ids, so guideline gaps cannot be traced to sections."
    )
    assert "Suggested ids for its headings: line 5: `## Cats {#cats}`." in hint
    assert g.to_dict()["hint"] == hint
    assert g.summary_lines() == ["data/guidelines.md: plain guidelines, no versions or typed sections"]
    assert parse_guidelines("").sections == ()


def test_legacy_version_line_gives_one_undated_version():
    g = parse_guidelines(LEGACY, classes=DEMO_CLASSES)
    assert [(v.name, v.date, v.line) for v in g.versions] == [("v2", None, 3)]
    assert g.sections == ()
    check_versions(g, ["v2"])
    with pytest.raises(BadInputError, match="line 3: .*'v1'"):
        check_versions(g, ["v1", "v2"])
    assert "no section ids" in structure_hint(g) and "`## General rules {#general-rules}`" in structure_hint(g)


def test_sections_without_history_get_a_hint_and_never_go_stale():
    g = parse_guidelines(doc("## Cats {#cats}\n\n- classes: cat\n\nA.\n"))
    assert stale_sections(g, "cat", "v1") == []
    assert "section(s) cats have no history" in structure_hint(g)


def test_headings_in_code_fences_and_nested_headings():
    g = parse_guidelines(
        doc("""\
        ## Cats {#cats}

        - classes: cat

        ```markdown
        ## Not a section {#fake}
        ```

        ### Examples

        A tabby.

        ### Kittens {#kittens}

        - classes: cat

        Small cats.

        ## Dogs

        Not typed.
        """)
    )
    assert [s.id for s in g.sections] == ["cats", "kittens"]
    assert g.section("cats").text.splitlines() == [
        "```markdown",
        "## Not a section {#fake}",
        "```",
        "",
        "### Examples",
        "",
        "A tabby.",
    ]
    assert g.section("kittens").text == "Small cats." and g.section("kittens").level == 3
    with pytest.raises(BadInputError, match="has no section 'dogs' \\(sections: cats, kittens\\)"):
        g.section("dogs")


# -------------------------------------------------------------------------------------- conditions


def test_condition_ast_and_canonical_text():
    cond = parse_condition("`length(text) > 500`")
    assert cond == Compare(Function("length", Column("text")), ">", cond.value)
    assert cond.value.value == 500 and isinstance(cond.value.value, int)
    assert parse_condition("split in (train, eval)") == InList(
        Column("split"), (Value("train", "train"), Value("eval", "eval"))
    )
    assert [v.value for v in parse_condition("split IN ('train', \"eval\")").values] == ["train", "eval"]
    assert parse_condition("pixel_03 >= 0.5").value.value == 0.5
    both = parse_condition("source = synthetic AND NOT (split = train OR split = eval)")
    assert isinstance(both, And)
    assert str(both) == "source = synthetic and not (split = train or split = eval)"
    for text in [
        "device = phone",
        "split in (train, eval)",
        "length(text) > 500",
        "pixel_03 >= 0.5",
        "source_model is not null",
        "note not contains 'low light'",
        "meta_batch = '07'",
        "a = 1 or b = 2 and c = 3",
        "(a = 1 or b = 2) and c = 3",
        "lower(device) != 'and'",
    ]:
        parsed = parse_condition(text)
        assert parse_condition(str(parsed)) == parsed, text
    assert str(parse_condition("a <> 1")) == "a != 1" and str(parse_condition("a == b")) == "a = b"
    assert columns_of(parse_condition("device = phone or length(note) > 3")) == {"device", "note"}


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("device =", "<end>"),
        ("device phone", "phone"),
        ("= phone", "="),
        ("split in train", "train"),
        ("split in (train eval)", "eval"),
        ("(a = 1", "<end>"),
        ("a = 1 b = 2", "b"),
        ("note = 'open", "'open"),
        ("a = 1 & b = 2", "&"),
        ("size(note) > 1", "size"),
        ("", "<end>"),
    ],
)
def test_condition_syntax_errors_name_the_token(text, token):
    with pytest.raises(ConditionSyntaxError) as info:
        parse_condition(text)
    assert info.value.token == token


@pytest.fixture(scope="module")
def items() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item_id": [f"i{k}" for k in range(8)],
            "source": ["human", "synthetic", None, "synthetic", "human", "human", None, "synthetic"],
            "device": ["scanner_a", "phone", "Phone", None, "phone", "scanner_b", "phone", None],
            "split": ["train", "eval", "production", None, "train", "eval", "production", "train"],
            "text": ["short", "a much longer text here", None, "", "phone photo, low light", None, "x" * 501, "ok"],
            "pixel_03": [0.1, 0.7, np.nan, 0.5, 0.49, np.nan, 1.0, 0.0],
            "n": [1, 2, 3, 4, 5, 6, 7, 8],
            "meta_batch": ["7", "07", "b1", None, "7", "b2", None, "b1"],
        }
    )


CONDITIONS = [
    "source = synthetic",
    "device = phone",
    "device != phone",
    "split in (train, eval)",
    "split not in (train, eval)",
    "length(text) > 500",
    "length(text) <= 5",
    "pixel_03 >= 0.5",
    "pixel_03 < 0.5",
    "not pixel_03 >= 0.5",
    "source = synthetic or pixel_03 < 0.2",
    "source = synthetic and not (split = train)",
    "not (source = human or device = phone)",
    "text is null",
    "text is not null and pixel_03 is null",
    "text contains phone",
    "text not contains 'low light'",
    "lower(device) = phone",
    "n != 3 and n in (1, 2, 3, 5.0)",
    "n > 2.5",
    "meta_batch = 7",
    "meta_batch in (7, b1)",
    "split > eval",
]


@pytest.mark.parametrize("text", CONDITIONS)
def test_ibis_expression_equals_the_pandas_evaluator(text, items):
    cond = parse_condition(text)
    table = ibis.memtable(items)
    con = ibis.duckdb.connect()
    got = con.execute(
        table.mutate(hit=to_ibis(cond, table), match=to_ibis_filter(cond, table)).order_by("n").select("hit", "match")
    )
    expected = evaluate(cond, items)
    assert expected.dtype == "boolean"
    from_ibis = pd.Series(pd.array(got["hit"].tolist(), dtype="boolean"), index=items.index)
    pd.testing.assert_series_equal(from_ibis, expected, check_names=False)
    assert got["match"].tolist() == matches(cond, items).tolist()
    selected = con.execute(table.filter(to_ibis_filter(cond, table)).order_by("n"))["item_id"].tolist()
    assert selected == items.loc[matches(cond, items), "item_id"].tolist()


def test_evaluator_values_with_nulls(items):
    assert evaluate(parse_condition("device = phone"), items).tolist() == [
        False, True, False, pd.NA, True, False, True, pd.NA
    ]  # fmt: skip
    assert matches(parse_condition("not device = phone"), items).tolist() == [
        True, False, True, False, False, True, False, False
    ]  # fmt: skip
    assert matches(parse_condition("length(text) > 500"), items).tolist() == [False] * 6 + [True, False]


def test_length_compiles_to_the_string_length(items):
    table = ibis.memtable(items)
    expr = to_ibis(parse_condition("length(text) > 500"), table)
    assert expr.equals(table.text.length() > 500)
    sql = ibis.to_sql(table.filter(expr), dialect="duckdb")
    assert 'LENGTH("t0"."text") > 500' in sql


def test_condition_type_errors_are_bad_input(items):
    table = ibis.memtable(items)
    cases = [
        ("colour = red", "names column 'colour', which the items do not have"),
        ("pixel_03 > high", "compares the numeric pixel_03 with 'high', which is not a number"),
        ("length(n) > 3", "applies length() to column 'n', which is not text"),
        ("n contains 3", "uses `contains` on n, which is not text"),
    ]
    for text, fragment in cases:
        cond = parse_condition(text)
        with pytest.raises(BadInputError, match="guidelines.md, line 9 \\(section x\\): condition") as a:
            to_ibis(cond, table, label="guidelines.md, line 9 (section x)")
        assert fragment in str(a.value)
        with pytest.raises(BadInputError) as b:
            evaluate(cond, items, label="guidelines.md, line 9 (section x)")
        assert fragment in str(b.value)


def test_evaluate_does_not_mutate_and_ignores_row_order(items):
    before = items.copy()
    cond = parse_condition("source = synthetic or pixel_03 < 0.2")
    straight = evaluate(cond, items)
    shuffled = evaluate(cond, items.sample(frac=1.0, random_state=0))
    pd.testing.assert_frame_equal(items, before)
    pd.testing.assert_series_equal(shuffled.sort_index(), straight)


def test_categorical_and_string_dtypes_match_ibis(items):
    typed = items.assign(
        device=items["device"].astype("category"),
        split=items["split"].astype("string"),
        n=items["n"].astype("Int64"),
    )
    con = ibis.duckdb.connect()
    table = ibis.memtable(typed)
    for text in ["device = phone", "device in (phone, scanner_a)", "split != train", "n >= 4", "lower(device) = phone"]:
        cond = parse_condition(text)
        got = con.execute(table.select("n", hit=to_ibis_filter(cond, table)).order_by("n"))["hit"].tolist()
        assert got == matches(cond, typed).tolist() == matches(cond, items).tolist(), text


def test_demo_guidelines_agree_with_the_demo_dataset(demo, truth, demo_dir):
    """The versions, the settled pair and the ambiguous pair are the ones the demo data plants."""
    assert {v.name: v.date.isoformat() for v in demo.versions} == truth["guideline_versions"]
    assert list(demo.section("four-vs-nine").pairs[0]) == truth["guideline_fix"]["pair"]
    assert demo.section("four-vs-nine").history[-1].version == truth["guideline_fix"]["fixed_in"]
    ambiguous = governing_sections(demo, pair=tuple(truth["ambiguous_pair"]))
    assert [s.id for s in ambiguous] == ["one-vs-seven"]
    assert [h.version for h in ambiguous[0].history] == ["v1"]
    annotations = pd.read_parquet(demo_dir / "annotations.parquet")
    check_versions(demo, annotations["guideline_version"].unique())
    items = pd.read_parquet(demo_dir / "items.parquet")
    phone = demo.section("phone-captured").condition
    synthetic = demo.section("synthetic").condition
    assert matches(phone, items).tolist() == (items["device"] == "phone").tolist()
    assert set(items.loc[matches(synthetic, items), "item_id"]) == set(truth["synthetic_items"])


def test_docstring_examples_run():
    import doctest

    from workbench.guidelines import conditions, demo, document, parser

    for module in (conditions, demo, document, parser):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module.__name__
