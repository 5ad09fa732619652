# emgrepro: download -> preprocess -> train per job -> scores -> reports and audit.
import sys
from pathlib import Path

# The package beside this Snakefile, for the rules and (emgrepro.paths) for every job,
# whichever checkout the interpreter's editable install points at.
sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))
from emgrepro.paths import use_package_beside

use_package_beside(workflow.basedir)


configfile: str(Path(workflow.basedir) / "config" / "config.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/preprocess.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        get_final_output(),
