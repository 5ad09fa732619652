# Report notebooks (papermill): one per paper, and the audit's; they only read tables.


# Render one paper's tables and figures from the scores, beside its published numbers.
rule paper_report:
    input:
        notebook=lambda wc: str(notebook(wc.paper)),
        scores=rules.gather_scores.output.scores,
        timings=rules.gather_scores.output.timings,
        audit=rules.audit.output.table,
        predictions=lambda wc: get_job_outputs("predictions", wc.paper),
        models=lambda wc: get_job_outputs("model", wc.paper),
        windows=lambda wc: get_paper_windows(wc.paper),
    output:
        notebook=layout.REPORT_NOTEBOOK,
        html=layout.REPORT_HTML,
        figures=report(
            directory(layout.FIGURES),
            patterns=["{name}.png"],
            caption="../report/figure.rst",
            category="{paper}",
        ),
    retries: 0  # a failure here would repeat: never resubmitted
    log:
        "logs/report/{paper}.log",
    benchmark:
        layout.REPORT_BENCHMARK
    conda:
        "../../envs/report.yaml"
    params:
        parameters=lambda wc, input, output: quoted_json(
            get_report_parameters(wc.paper, input, output)
        ),
    shell:
        "python -m emgrepro report --notebook {input.notebook} --parameters {params.parameters}"
        " --out-notebook {output.notebook} --html {output.html} > {log} 2>&1"


# Per published number: the compute seconds its jobs spent, and the plan's prediction.
rule cost_per_result:
    input:
        audit=rules.audit.output.table,
        provenance=rules.provenance.output[0],
        scores=get_job_outputs("scores"),
        info=get_job_outputs("info"),
    output:
        "results/cost_per_result.csv",
    retries: 0  # a failure here would repeat: never resubmitted
    log:
        "logs/cost_per_result.log",
    conda:
        "../../envs/data.yaml"
    shell:
        "python -m emgrepro cost-per-result --audit {input.audit} --provenance"
        " {input.provenance} --out {output} {input.scores} > {log} 2>&1"


# The audit report: verdict summary per paper, every published number, provenance.
rule audit_report:
    input:
        notebook=str(notebook(layout.AUDIT_REPORT)),
        audit=rules.audit.output.table,
        timings=rules.gather_scores.output.timings,
        provenance=rules.provenance.output[0],
        cost=rules.cost_per_result.output[0],
    output:
        notebook=layout.path(layout.REPORT_NOTEBOOK, paper=layout.AUDIT_REPORT),
        html=layout.path(layout.REPORT_HTML, paper=layout.AUDIT_REPORT),
        figures=report(
            directory(layout.path(layout.FIGURES, paper=layout.AUDIT_REPORT)),
            patterns=["{name}.png"],
            caption="../report/figure.rst",
            category="audit",
        ),
    retries: 0  # a failure here would repeat: never resubmitted
    log:
        "logs/report/audit.log",
    benchmark:
        layout.path(layout.REPORT_BENCHMARK, paper=layout.AUDIT_REPORT)
    conda:
        "../../envs/report.yaml"
    params:
        parameters=lambda wc, input, output: quoted_json(
            {
                "audit_csv": input.audit,
                "timings_csv": input.timings,
                "provenance_json": input.provenance,
                "cost_csv": input.cost,
                "figures_dir": output.figures,
                "run_papers": PAPERS,
            }
        ),
    shell:
        "python -m emgrepro report --notebook {input.notebook} --parameters {params.parameters}"
        " --out-notebook {output.notebook} --html {output.html} > {log} 2>&1"


ruleorder: audit_report > paper_report
