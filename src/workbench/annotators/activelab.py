"""Re-annotation priority: ActiveLab scores from the annotations and the predictions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import BadInputError
from ..inputs.annotations import read_annotations
from ..inputs.predictions import read_predictions
from ..store import Store
from .methods import _prediction_rows


def active_learning_scores(store: Store, *, classes: list[str] | None = None, seed: int = 0) -> pd.DataFrame:
    """ActiveLab scores for every item with predictions: lower means another label is worth more.

    Annotated items are scored from their annotations and the predictions;
    items nobody annotated yet from the predictions alone (Cleanlab's
    ``get_active_learning_scores``, computed over the long table by
    :func:`workbench.annotators.crowd_sparse.activelab`). Items without predictions are
    not scored.

    Returns a frame with ``item_id, activelab_score, n_annotations, labeled``,
    lowest score first.
    """
    from .crowd_sparse import LongLabels, activelab

    annotations = read_annotations(store, classes=classes)
    predictions = read_predictions(store, annotations.classes)
    if predictions is None:
        raise BadInputError(
            "ActiveLab scores need predicted probabilities, but the store has no 'predictions' table. "
            "Ingest predictions.parquet with one proba_<label> column per class."
        )
    item, annotator, label, items, annotators = annotations.codes()
    pos = _prediction_rows(predictions, items)
    covered = pos >= 0
    new_index = np.full(len(items), -1)
    new_index[covered] = np.arange(int(covered.sum()))
    keep = covered[item]
    lab = LongLabels.from_arrays(
        new_index[item[keep]],
        annotator[keep],
        label[keep],
        n_items=int(covered.sum()),
        n_annotators=len(annotators),
        n_classes=len(annotations.classes),
    )
    unlabeled = ~predictions.item_id.isin(items) & ~predictions.item_id.duplicated()
    res = activelab(lab, predictions.proba[pos[covered]], predictions.proba[np.asarray(unlabeled)], seed=seed)
    labeled_ids = items[covered]
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "item_id": labeled_ids.to_numpy(),
                    "activelab_score": res.scores,
                    "n_annotations": lab.num_annotations(),
                    "labeled": True,
                }
            ),
            pd.DataFrame(
                {
                    "item_id": predictions.item_id[np.asarray(unlabeled)].to_numpy(),
                    "activelab_score": res.scores_unlabeled,
                    "n_annotations": 0,
                    "labeled": False,
                }
            ),
        ],
        ignore_index=True,
    )
    return frame.sort_values(["activelab_score", "item_id"], kind="stable").reset_index(drop=True)
