# Report notebooks (papermill) per paper, and the audit against published numbers.


# Render one paper's tables and figures from the scores, beside its published numbers.
rule paper_report:
    input:
        notebook=str(REPO / "notebooks" / "{paper}.py"),
        scores="results/scores.csv",
        timings="results/timings.csv",
        published=str(REPO / "config" / "published.csv"),
    output:
        notebook="results/reports/{paper}.ipynb",
        html="results/reports/{paper}.html",
        figures=report(
            directory("results/figures/{paper}"),
            patterns=["{name}.png"],
            caption="../report/figure.rst",
            category="{paper}",
        ),
    log:
        "logs/report/{paper}.log",
    conda:
        "../../envs/report.yaml"
    params:
        parameters=lambda wc, input, output: quoted_json(
            {
                "scores_csv": input.scores,
                "timings_csv": input.timings,
                "published_csv": input.published,
                "figures_dir": output.figures,
                "paper": wc.paper,
                "results_dir": "results",
                "experiments": {
                    name: {**exp, "preprocessing_settings": config["preprocessing"][exp["preprocessing"]]}
                    for name, exp in emgconfig.selected_experiments(config).items()
                    if exp["paper"] == wc.paper
                },
                "audit_settings": get_audit_settings(),
            }
        ),
    shell:
        "python -m emgrepro report --notebook {input.notebook} --parameters {params.parameters}"
        " --out-notebook {output.notebook} --html {output.html} > {log} 2>&1"


# Compare every published number with what the pipeline computed.
rule audit:
    input:
        notebook=str(REPO / "notebooks" / "audit.py"),
        scores="results/scores.csv",
        timings="results/timings.csv",
        published=str(REPO / "config" / "published.csv"),
        provenance="results/provenance.json",
    output:
        audit="results/audit.csv",
        notebook="results/reports/audit.ipynb",
        html="results/reports/audit.html",
        figures=report(
            directory("results/figures/audit"),
            patterns=["{name}.png"],
            caption="../report/figure.rst",
            category="audit",
        ),
    log:
        "logs/report/audit.log",
    conda:
        "../../envs/report.yaml"
    params:
        parameters=lambda wc, input, output: quoted_json(
            {
                "scores_csv": input.scores,
                "timings_csv": input.timings,
                "published_csv": input.published,
                "provenance_json": input.provenance,
                "audit_csv": output.audit,
                "figures_dir": output.figures,
                "audit_settings": get_audit_settings(),
                "run_papers": PAPERS,
            }
        ),
    shell:
        "python -m emgrepro report --notebook {input.notebook} --parameters {params.parameters}"
        " --out-notebook {output.notebook} --html {output.html} > {log} 2>&1"
