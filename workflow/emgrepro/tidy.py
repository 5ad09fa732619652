"""Column sets of the pipeline's tidy tables: one place every layer can read them from."""

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
