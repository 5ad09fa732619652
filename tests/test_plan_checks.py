"""Config that would silently change results, or fail only when a job runs, stops the plan
with the key (and the experiment) named."""

from __future__ import annotations

import pytest

from conftest import write_yaml
from emgrepro import config as cfg
from emgrepro.errors import ConfigError
from emgrepro.paths import CONFIG_DIR

BASELINE = {"papers": ["baseline"]}


@pytest.mark.parametrize(
    "override, expected",
    [
        (
            {"subjects": {"khushaba_2ch": [1, 1, 2, 4]}},
            "at 'subjects/khushaba_2ch': [1, 1, 2, 4] has non-unique elements",
        ),
        (
            {"experiments": {"baseline_6class": {"seeds": []}}},
            "at 'experiments/baseline_6class/seeds': [] should be non-empty",
        ),
        (
            {
                "experiments": {
                    "baseline_6class": {
                        "protocols": {
                            "within_subject": {
                                "train_repetitions": [1, 2, 3, 4],
                                "test_repetitions": [7],
                            }
                        }
                    }
                }
            },
            "experiments/baseline_6class/protocols/within_subject/test_repetitions: "
            "repetition(s) [7] do not exist in khushaba_2ch",
        ),  # fmt: skip
        (
            {
                "subjects": {"khushaba_2ch": [1, 2, 4]},
                "experiments": {"baseline_6class": {"protocols": {"loso": {"n_val_subjects": 2}}}},
            },
            "experiments/baseline_6class/protocols/loso/n_val_subjects: 2 validation",
        ),
        (
            {"subjects": {"khushaba_2ch": [1]}},
            "experiments/baseline_6class/protocols/loso: loso needs at least two subjects",
        ),
        (
            {"preprocessing": {"khushaba_250ms": {"window": {"length_ms": 0.1}}}},
            "preprocessing/khushaba_250ms/window/length_ms: 0.1 ms at 4000 Hz",
        ),
        (
            {
                "experiments": {
                    "my-run": {
                        "paper": "baseline",
                        "preprocessing": "khushaba_250ms",
                        "classes": [1, 2],
                        "protocols": {"within_subject": {}},
                        "models": {"td_lda": {}},
                    }
                }
            },
            "experiments/my-run: the name 'my-run' may hold only letters",
        ),  # fmt: skip
        (
            {
                "experiments": {
                    "../up": {
                        "paper": "baseline",
                        "preprocessing": "khushaba_250ms",
                        "classes": [1, 2],
                        "protocols": {"within_subject": {}},
                        "models": {"td_lda": {}},
                    }
                }
            },
            "experiments/../up: the name '../up' may hold only letters",
        ),  # fmt: skip
        (
            {
                "papers": ["atzori2016"],
                "sources": {"ninapro_db1": "https://mirror.example.org/db1.zip?s={subject}"},
                "subjects": {"ninapro_db1": [1, 2]},
            },
            "sources/ninapro_db1: in 'https://mirror.example.org/db1.zip?s={subject}' "
            "{subject} does not change the file name, so subjects [1, 2]",
        ),
        (
            {
                "papers": ["zhai2017"],
                "experiments": {"zhai2017_db2": {"models": {"zhai_svm": {"cv_folds": 1}}}},
            },
            "experiments/zhai2017_db2/models/zhai_svm/cv_folds: 1 must be 2 or more",
        ),  # fmt: skip
    ],
    ids=[
        "duplicate-subjects",
        "empty-seeds",
        "impossible-repetition",
        "validation-pool",
        "loso-one-subject",
        "window-under-a-sample",
        "hyphen-name",
        "dotdot-name",
        "subject-in-query",
        "one-fold-search",
    ],  # fmt: skip
)
def test_plan_time_errors(tmp_path, override, expected):
    write_yaml(tmp_path / "bad.yaml", BASELINE | override)
    with pytest.raises(ConfigError) as e:
        cfg.load([CONFIG_DIR / "config.yaml", tmp_path / "bad.yaml"])
    assert expected in str(e.value)


def test_a_subject_in_the_url_file_name_separates_subjects(tmp_path):
    conf = {
        "papers": ["atzori2016"],
        "sources": {"ninapro_db1": "https://mirror.example.org/s{subject}.zip?x=1"},
        "subjects": {"ninapro_db1": [1, 2]},
    }
    write_yaml(tmp_path / "ok.yaml", conf)
    cfg.load([CONFIG_DIR / "config.yaml", tmp_path / "ok.yaml"])
