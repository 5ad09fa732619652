"""Execute a jupytext (py:percent) report notebook with papermill and export HTML."""

from __future__ import annotations

import os
from pathlib import Path

from emgrepro.io import atomic_path, scratch_path, write_text


def run_notebook(notebook: Path, parameters: dict, out_notebook: Path, html: Path) -> None:
    """Run ``notebook`` with ``parameters`` injected; write the executed .ipynb and HTML.

    The notebook runs in the folder Snakemake runs in, so relative paths in parameters
    resolve as in the rules.
    """
    import jupytext
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    nb = jupytext.read(notebook)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    Path(out_notebook).parent.mkdir(parents=True, exist_ok=True)
    # the notebook to execute, beside the output (not in the system's temp folder, where a
    # killed run would leave it for good)
    with scratch_path(Path(out_notebook).with_suffix(".source"), ".ipynb") as src:
        nbformat.write(nb, src)
        with atomic_path(out_notebook) as dst:
            papermill.execute_notebook(
                str(src),
                str(dst),
                parameters=parameters,
                cwd=os.getcwd(),
                kernel_name="python3",
                progress_bar=False,
            )
            executed = nbformat.read(dst, as_version=4)
    # A report is read, not debugged: code cells are hidden (the .ipynb keeps them).
    body, _ = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    ).from_notebook_node(executed)
    write_text(html, body)
