"""The public API: a curated, sorted __all__ whose names all exist."""

import workbench


def test_all_is_sorted_and_resolves():
    assert list(workbench.__all__) == sorted(workbench.__all__)
    for name in workbench.__all__:
        assert hasattr(workbench, name), name


def test_core_names_are_public():
    for name in ("Store", "read_dataset", "check_dataset", "write_demo", "WorkbenchError", "BadInputError"):
        assert name in workbench.__all__
