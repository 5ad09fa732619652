"""Column sets of the pipeline's tidy tables, and how to read one back: one place every
layer can take them from."""

from pathlib import Path

import pandas as pd

SCORE_COLUMNS = [
    "paper",
    "experiment",
    "dataset",
    "protocol",
    "model",
    "subject",
    "fold",
    "condition",
    "seed",
    "n_classes",
    "data",
    "metric",
    "value",
]

TIMING_COLUMNS = [
    "paper",
    "experiment",
    "dataset",
    "protocol",
    "model",
    "fold",
    "seed",
    "condition",
    "data",
    "n_classes",
    "stage",
    "epochs_run",
    "epochs_to_converge",
    "seconds_per_epoch",
    "windows_per_second",
    "fit_seconds",
    "predict_seconds",
    "n_train",
    "hardware",
]


# columns of the run's tables that hold text: never NaN when read back
TEXT_COLUMNS = (
    "condition", "table", "row", "column", "experiment", "protocol", "model", "group",
    "versus", "bound", "settings", "note", "data", "test", "sd_over", "fold", "hardware",
    "consistent_with", "baselines", "leaky_twin",
)  # fmt: skip


def read_table(path) -> pd.DataFrame:
    """A table of the run (scores, timings, audit); text columns never hold NaN."""
    if path is None or not Path(path).exists():
        return pd.DataFrame()
    df = pd.read_csv(path, keep_default_na=False, na_values=[""])
    for col in TEXT_COLUMNS:
        if col in df:
            df[col] = df[col].fillna("").astype(str)
    return df
