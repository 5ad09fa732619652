"""Schema validation and name checks: every bad config gets a clear error."""

from __future__ import annotations

import copy

import pytest
import yaml

from conftest import write_yaml
from emgrepro import config as cfg
from emgrepro.datasets.registry import dataset_subjects, is_synthetic
from emgrepro.errors import ConfigError
from emgrepro.job_plan import find_job
from emgrepro.job_plan import jobs as plan_jobs
from emgrepro.paths import CONFIG_DIR
from emgrepro.selection import selected_experiments


@pytest.fixture
def full() -> dict:
    """The full configuration (paper files + config.yaml), resolved but not validated."""
    return cfg.resolve(yaml.safe_load((CONFIG_DIR / "config.yaml").read_text()))


def test_full_config_validates_with_defaults(full):
    out = cfg.validate(full)
    exp = out["experiments"]["baseline_6class"]
    assert exp["training"]["max_epochs"] == 30  # default filled in a named entry
    assert out["preprocessing"]["khushaba_250ms"]["exercises"] is None
    assert out["synthetic"]["seed"] == 20261122


def test_demo_config_merges_over_full():
    out = cfg.load([CONFIG_DIR / "config.yaml", CONFIG_DIR / "demo.yaml"])
    assert out["demo"] and out["sources"] == {}
    assert is_synthetic(out, "khushaba_2ch") and is_synthetic(out, "ninapro_db2")
    assert "baseline_6class" in out["experiments"]
    # each paper's demo section applies on top of its own file
    assert out["experiments"]["hristov2026_6class"]["training"]["max_epochs"] == 5
    assert out["preprocessing"]["ninapro_db2_wu"]["window"]["step_ms"] == 100
    assert dataset_subjects(out, "khushaba_2ch") == [1, 2, 4, 5]
    assert dataset_subjects(out, "ninapro_db2") == [1, 2, 26, 27]


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda c: c.update(device="tpu"), "at 'device'"),
        (lambda c: c.update(bogus_key=1), "bogus_key"),
        (
            lambda c: c["preprocessing"]["khushaba_250ms"]["window"].update(length_ms=-1),
            "length_ms",
        ),
        (lambda c: c["experiments"]["baseline_6class"].update(seeds="zero"), "seeds"),
        (lambda c: c["experiments"]["baseline_6class"].pop("classes"), "classes"),
    ],
)
def test_schema_errors_name_the_key(full, mutate, expected):
    bad = copy.deepcopy(full)
    mutate(bad)
    with pytest.raises(ConfigError) as e:
        cfg.validate(bad)
    assert "breaks the schema" in str(e.value)
    assert expected in str(e.value)


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda c: c.update(sources={"ninapro_db9": "x.zip"}), "unknown dataset 'ninapro_db9'"),
        (lambda c: c.update(subjects={"khushaba_2ch": [3]}), "subject(s) [3] do not exist"),
        (lambda c: c.update(papers=["nobody2030"]), "unknown paper id(s) ['nobody2030']"),
        (
            lambda c: c["experiments"]["baseline_6class"]["models"].update(resnet9000={}),
            "unknown model 'resnet9000'",
        ),
        (
            lambda c: c["experiments"]["baseline_6class"]["protocols"].update(kfold={}),
            "unknown protocol 'kfold'",
        ),
        (
            lambda c: c["experiments"]["baseline_6class"].update(classes=[1, 42]),
            "movement id(s) [42]",
        ),
        (
            lambda c: c["experiments"]["baseline_6class"].update(preprocessing="nope"),
            "unknown preprocessing 'nope'",
        ),
    ],
)
def test_unknown_names(full, mutate, expected):
    bad = copy.deepcopy(full)
    mutate(bad)
    with pytest.raises(ConfigError) as e:
        cfg.validate(bad)
    assert expected in str(e.value)


def test_missing_source_path_is_reported(full, tmp_path):
    from emgrepro.fetch.sources import check_sources

    full["sources"] = {"khushaba_2ch": str(tmp_path / "missing.zip")}
    conf = cfg.validate(full)
    with pytest.raises(ConfigError, match="missing.zip does not exist"):
        check_sources(conf)


def test_jobs_cover_protocol_folds(full):
    conf = cfg.validate(full)
    jobs = plan_jobs(conf)
    within = [
        j for j in jobs if j.protocol == "within_subject" and j.experiment == "baseline_6class"
    ]
    assert sorted(int(j.fold) for j in within) == [1, 2, 4, 5, 6, 8, 9, 10]
    multi = [j for j in jobs if j.protocol == "multi_subject"]
    assert {j.fold for j in multi} == {"pooled"}
    job = find_job(conf, "baseline_6class", "loso", "td_lda", "4", 0)
    assert job.subjects == [1, 2, 4, 5, 6, 8, 9, 10]
    with pytest.raises(ConfigError, match="no job"):
        find_job(conf, "baseline_6class", "loso", "td_lda", "3", 0)


def test_papers_selects_experiments(full):
    full["papers"] = ["baseline"]
    conf = cfg.validate(full)
    assert set(selected_experiments(conf)) == {"baseline_6class", "baseline_10class"}


def test_null_drops_a_protocol_or_model_from_the_run(tmp_path):
    override = tmp_path / "small.yaml"
    override.write_text(
        yaml.safe_dump(
            {
                "papers": ["hristov2026"],
                "experiments": {
                    "hristov2026_6class": {
                        "protocols": {"few_shot_curve": None},
                        "models": {"td_lda": None},
                    }
                },
            }
        )
    )
    conf = cfg.load([CONFIG_DIR / "config.yaml", override])
    exp = conf["experiments"]["hristov2026_6class"]
    assert "few_shot_curve" not in exp["protocols"] and "td_lda" not in exp["models"]
    jobs = [j for j in plan_jobs(conf) if j.experiment == "hristov2026_6class"]
    assert jobs and {j.protocol for j in jobs} == set(exp["protocols"])
    assert {j.model for j in jobs} == {"csae", "cnn"}
    # a protocol others start from cannot be dropped silently
    override.write_text(
        yaml.safe_dump({"experiments": {"hristov2026_6class": {"protocols": {"loso": None}}}})
    )
    with pytest.raises(ConfigError, match="loso"):
        plan_jobs(cfg.load([CONFIG_DIR / "config.yaml", override]))


# ----------------------------------------------------------------------------- declared parameters


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        (
            {"baseline_6class": {"models": {"td_lda": {"treshold": 0.5}}}},
            "experiments/baseline_6class/models/td_lda: unknown parameter 'treshold' "
            "(did you mean 'threshold'?)",
        ),
        (
            {"baseline_6class": {"protocols": {"within_subject": {"test_repetitons": [5]}}}},
            "experiments/baseline_6class/protocols/within_subject: unknown parameter "
            "'test_repetitons' (did you mean 'test_repetitions'?)",
        ),
    ],
)
def test_misspelt_parameters_stop_the_plan(tmp_path, override, expected):
    from conftest import run_snakemake

    write_yaml(tmp_path / "typo.yaml", {"experiments": override})
    proc = run_snakemake(tmp_path, "-n", "--configfile", "typo.yaml", check=False)
    assert proc.returncode != 0
    assert expected in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"hristov2026_6class": {"models": {"csae": {"filters": "16"}}}}, "csae/filters: '16'"),
        ({"hristov2026_6class": {"models": {"csae": {"dropout": True}}}}, "expected number"),
        (
            {"hristov2026_6class": {"protocols": {"few_shot": {"fine_tune": {"epoch": 3}}}}},
            "few_shot/fine_tune: unknown parameter 'epoch' (did you mean 'epochs'?)",
        ),
        (
            {"hristov2026_6class": {"protocols": {"multi_subject": {"test_repetitions": [4]}}}},
            "repetition(s) [4] are in both train_repetitions and test_repetitions",
        ),
        (
            {"hristov2026_6class": {"protocols": {"few_shot": {"shots": 9}}}},
            "few_shot/shots: [9] calibration trials",
        ),
        (
            {"hristov2026_10class": {"models": {"td_lda": {}}}},
            "protocol 'incremental' needs models that can extend; 'td_lda' cannot",
        ),
        (
            {"hristov2026_6clas": {"training": {"max_epochs": 3}}},
            "did you mean 'hristov2026_6class'",
        ),
    ],
)
def test_wrong_parameters_are_config_errors(tmp_path, override, expected):
    write_yaml(tmp_path / "bad.yaml", {"experiments": override})
    with pytest.raises(ConfigError) as e:
        cfg.load([CONFIG_DIR / "config.yaml", tmp_path / "bad.yaml"])
    assert expected in str(e.value)


def test_every_model_and_protocol_declares_its_parameters():
    """No ``**kwargs`` swallows a key: a model's ``**common`` only carries the arguments
    every model gets, and an unknown key fails when the model is built."""
    from emgrepro.models import COMMON_ARGS, MODELS, build_model, model_parameters
    from emgrepro.protocols import PROTOCOLS

    for name in MODELS.names():
        declared = model_parameters(name)
        assert not set(declared) & COMMON_ARGS
        with pytest.raises(TypeError):
            build_model(name, 2, 3, 400, no_such_parameter=1)
    for name in PROTOCOLS.names():
        protocol = PROTOCOLS.get(name)
        with pytest.raises(ConfigError, match="no_such_parameter"):
            protocol.params({"no_such_parameter": 1}, f"protocols/{name}")


def test_yaml_errors_name_the_file_and_line(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("papers: [baseline\nsubjects: {}\n")
    with pytest.raises(ConfigError, match=r"broken.yaml:\d+:\d+: not valid YAML"):
        cfg.load([CONFIG_DIR / "config.yaml", bad])


def test_device_and_gpu_request_follow_the_models_declaration():
    """A model that declares it cannot use a GPU gets the CPU whatever the run's device,
    and refuses any other; one that can gets the run's device."""
    from emgrepro.models import MODELS, build_model

    config = cfg.load([CONFIG_DIR / "config.yaml", CONFIG_DIR / "demo.yaml"])
    config["device"] = "cuda"
    for job in plan_jobs(config):
        gpu = MODELS.get(job.model).uses_gpu
        assert job.device == ("cuda" if gpu else "cpu"), (job.model, job.device)
        assert MODELS.get(job.model).checkpoint == (".pt" if gpu else ".skops"), job.model
    with pytest.raises(ValueError, match="runs on the CPU only"):
        build_model("td_lda", 2, 6, 400, device="cuda")


def test_structured_command_line_overrides_are_typed_as_in_a_config_file():
    """`--config 'subjects={khushaba_2ch: [1, 2]}'`: Snakemake hands over ["1", "2"]."""
    from snakemake.cli import parse_config

    given = parse_config(
        [
            "subjects={khushaba_2ch: [1, 2]}",
            "experiments={baseline_6class: {protocols: {loso: null}}}",
            "warm_start=false",
            "device=cpu",
        ]
    )
    assert given["subjects"] == {"khushaba_2ch": ["1", "2"]}  # what this fixes
    typed = cfg.command_line_overrides(given)
    assert typed == {
        "subjects": {"khushaba_2ch": [1, 2]},
        "experiments": {"baseline_6class": {"protocols": {"loso": None}}},
        "warm_start": False,
        "device": "cpu",
    }
    # a string stays a string where YAML reads one: the schema still judges it
    assert cfg.command_line_overrides({"seed": "1x", "papers": ["baseline"]}) == {
        "seed": "1x",
        "papers": ["baseline"],
    }
