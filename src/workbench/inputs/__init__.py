"""The input layer: how every capability reads the store.

One place states each rule, so that every command, report section and
notebook gives the same answer:

* :mod:`~workbench.inputs.annotations`: one label per annotator and item (the
  latest), known classes, annotator kinds;
* :mod:`~workbench.inputs.vote`: majority vote and its tie rule, as an ibis
  expression and over arrays;
* :mod:`~workbench.inputs.predictions`: which model version counts, gold labels;
* :mod:`~workbench.inputs.items`: items, features and the column-kind rule;
* :mod:`~workbench.inputs.weeks`: ISO weeks and the default week.

Every reader takes ``as_of`` (an ingestion instant) and then sees the store as
it was known at that time. Imports flow one way: capabilities import this
layer; this layer imports only the store's contract, errors and configuration.
"""

from .annotations import AnnotationSet, annotator_kinds, known_classes, latest_annotations, read_annotations
from .items import column_kinds, configured_kinds, frame_kinds, kind_of, read_items, table_kinds
from .predictions import (
    Predictions,
    choose_model_version,
    model_versions,
    prediction_table,
    read_gold,
    read_predictions,
)
from .vote import majority_vote, majority_vote_codes, majority_vote_table
from .weeks import (
    Week,
    default_week,
    iso_week_labels,
    item_weeks,
    latest_week,
    resolve_week,
    week_labels,
    weeks_with_data,
)

__all__ = [
    "AnnotationSet",
    "Predictions",
    "Week",
    "annotator_kinds",
    "choose_model_version",
    "column_kinds",
    "configured_kinds",
    "default_week",
    "frame_kinds",
    "item_weeks",
    "iso_week_labels",
    "kind_of",
    "known_classes",
    "latest_annotations",
    "latest_week",
    "majority_vote",
    "majority_vote_codes",
    "majority_vote_table",
    "model_versions",
    "prediction_table",
    "read_annotations",
    "read_gold",
    "read_items",
    "read_predictions",
    "resolve_week",
    "table_kinds",
    "week_labels",
    "weeks_with_data",
]
