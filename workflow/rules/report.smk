# Report notebooks (papermill): one per paper, and the audit's; they only read tables.
# `snakemake --report` holds the audit table, the scores, every report and every figure,
# each captioned (workflow/report/), under this description of the workflow:


from emgrepro.captions import figure_captions


report: "../report/workflow.rst"


# Render one paper's tables and figures from the scores, beside its published numbers.
rule paper_report:
    message:
        "{JOB_LINE:report {wildcards.paper}}"
    input:
        notebook=lambda wc: str(notebook(wc.paper)),
        scores=rules.gather_scores.output.scores,
        timings=rules.gather_scores.output.timings,
        audit=rules.audit.output.table,
        predictions=lambda wc: get_job_outputs("predictions", wc.paper),
        analysis=lambda wc: get_analysis_output(wc.paper),
    output:
        notebook=layout.REPORT_NOTEBOOK,
        benchmark=layout.REPORT_BENCHMARK,  # the job's own figures (emgrepro/benchmark.py)
        html=report(
            layout.REPORT_HTML,
            caption="../report/paper_report.rst",
            category="{paper}",
            labels={"paper": "{paper}", "file": "report"},
        ),
        figures=report(
            directory(layout.FIGURES),
            patterns=["{name}.png"],
            caption="../report/figure.rst",
            category="{paper}",
            labels={"paper": "{paper}", "file": "figure {name}"},
        ),
    retries: 0  # a failure here would repeat: never resubmitted
    log:
        "logs/report/{paper}.log",
    conda:
        "../../envs/report.yaml"
    params:
        parameters=lambda wc, input, output: as_json(
            get_report_parameters(wc.paper, input, output)
        ),
        captions=lambda wc: figure_captions(wc.paper),  # read by snakemake --report
    shell:
        "python -m emgrepro --benchmark {output.benchmark:q} report"
        " --notebook {input.notebook:q}"
        " --parameters {params.parameters:q}"
        " --out-notebook {output.notebook:q} --html {output.html:q} > {log:q} 2>&1"


# The audit report: verdict summary per paper, every published number, provenance.
rule audit_report:
    message:
        "{JOB_LINE:report the audit}"
    input:
        notebook=str(notebook(layout.AUDIT_REPORT)),
        audit=rules.audit.output.table,
        timings=rules.gather_scores.output.timings,
        provenance=rules.provenance.output[0],
        cost=rules.cost_per_result.output.table,
    output:
        notebook=layout.path(layout.REPORT_NOTEBOOK, paper=layout.AUDIT_REPORT),
        benchmark=layout.path(layout.REPORT_BENCHMARK, paper=layout.AUDIT_REPORT),
        html=report(
            layout.path(layout.REPORT_HTML, paper=layout.AUDIT_REPORT),
            caption="../report/audit_report.rst",
            category="audit",
            labels={"paper": "all", "file": "audit report"},
        ),
        figures=report(
            directory(layout.path(layout.FIGURES, paper=layout.AUDIT_REPORT)),
            patterns=["{name}.png"],
            caption="../report/figure.rst",
            category="audit",
            labels={"paper": "all", "file": "figure {name}"},
        ),
    retries: 0  # a failure here would repeat: never resubmitted
    log:
        "logs/report/audit.log",
    conda:
        "../../envs/report.yaml"
    params:
        parameters=lambda wc, input, output: as_json(
            {
                "audit_csv": input.audit,
                "timings_csv": input.timings,
                "provenance_json": input.provenance,
                "cost_csv": input.cost,
                "figures_dir": output.figures,
                "run_papers": PAPERS,
            }
        ),
        captions=figure_captions(layout.AUDIT_REPORT),  # read by snakemake --report
    shell:
        "python -m emgrepro --benchmark {output.benchmark:q} report"
        " --notebook {input.notebook:q}"
        " --parameters {params.parameters:q}"
        " --out-notebook {output.notebook:q} --html {output.html:q} > {log:q} 2>&1"


# The claims report: every paper's comparative claims, judged on each dataset of the run.
rule claims_report:
    message:
        "{JOB_LINE:report the claims}"
    input:
        notebook=str(notebook(layout.CLAIMS_REPORT)),
        claims=rules.claims.output.table,
        grid=rules.claims.output.grid,
    output:
        notebook=layout.path(layout.REPORT_NOTEBOOK, paper=layout.CLAIMS_REPORT),
        benchmark=layout.path(layout.REPORT_BENCHMARK, paper=layout.CLAIMS_REPORT),
        html=report(
            layout.path(layout.REPORT_HTML, paper=layout.CLAIMS_REPORT),
            caption="../report/claims_report.rst",
            category="claims",
            labels={"paper": "all", "file": "claims report"},
        ),
        figures=report(
            directory(layout.path(layout.FIGURES, paper=layout.CLAIMS_REPORT)),
            patterns=["{name}.png"],
            caption="../report/figure.rst",
            category="claims",
            labels={"paper": "all", "file": "figure {name}"},
        ),
    retries: 0  # a failure here would repeat: never resubmitted
    log:
        "logs/report/claims.log",
    conda:
        "../../envs/report.yaml"
    params:
        parameters=lambda wc, input, output: as_json(
            {"claims_csv": input.claims, "grid_csv": input.grid, "figures_dir": output.figures}
        ),
        captions=figure_captions(layout.CLAIMS_REPORT),  # read by snakemake --report
    shell:
        "python -m emgrepro --benchmark {output.benchmark:q} report"
        " --notebook {input.notebook:q}"
        " --parameters {params.parameters:q}"
        " --out-notebook {output.notebook:q} --html {output.html:q} > {log:q} 2>&1"


ruleorder: audit_report > paper_report
ruleorder: claims_report > paper_report
