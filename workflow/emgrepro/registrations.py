"""Is every paper registered in every place it must be? And where does each paper live?

A paper is its file ``config/papers/<paper>.yaml``; an active paper also has its published
numbers (``config/papers/<paper>.published.csv``, unless it publishes none), a report
notebook ``notebooks/<paper>.py`` and tests ``tests/test_<paper>.py``. A planned paper has
its published numbers only, and the audit reports them as not run. ``problems`` lists
whatever is missing or dangling; ``paper_table`` is the README's "where each paper lives".
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pandas as pd

from emgrepro.config import paper_files, resolve, validate
from emgrepro.datasets.registry import all_datasets
from emgrepro.paths import ROOT

DOI = re.compile(r"\b(?:DOI|doi)\s+10\.\d{4,9}/\S+")


def _reference(root: Path) -> dict:
    """Every paper's own settings (no demo, no overrides), validated."""
    return validate(resolve({}, root / "config" / "papers"))


def _module_doc(module: str) -> str:
    mod = importlib.import_module(module)
    return ast.get_docstring(ast.parse(Path(mod.__file__).read_text())) or ""


def users(root: Path = ROOT) -> dict[str, dict[str, set[str]]]:
    """``{"models": {name: papers}, "protocols": {name: papers}}`` of the reference config."""
    config = _reference(root)
    out: dict[str, dict[str, set[str]]] = {"models": {}, "protocols": {}}
    for exp in config["experiments"].values():
        for kind in ("models", "protocols"):
            for name in exp[kind]:
                out[kind].setdefault(name, set()).add(exp["paper"])
    return out


def problems(root: Path = ROOT) -> list[str]:
    """Everything registered in one place and missing in another."""
    from emgrepro.models import MODELS
    from emgrepro.protocols import PROTOCOLS

    root = Path(root)
    papers_dir = root / "config" / "papers"
    out: list[str] = []
    papers = paper_files(str(papers_dir))
    config = _reference(root)
    for pid, data in papers.items():
        published = papers_dir / f"{pid}.published.csv"
        if data["published"] and not published.exists():
            out.append(f"{pid}: no published numbers ({published.relative_to(root)})")
        if data["status"] == "planned":
            if data["experiments"]:
                out.append(f"{pid}: planned, yet it defines experiments (make it active)")
            continue
        if not any(e["paper"] == pid for e in config["experiments"].values()):
            out.append(f"{pid}: active, yet it defines no experiment (or mark it planned)")
        for what, path in (
            ("report notebook", root / "notebooks" / f"{pid}.py"),
            ("test file", root / "tests" / f"test_{pid}.py"),
        ):
            if not path.exists():
                out.append(f"{pid}: no {what} ({path.relative_to(root)})")
    for csv in sorted(papers_dir.glob("*.published.csv")):
        pid = csv.name.removesuffix(".published.csv")
        if pid not in papers:
            out.append(f"{csv.relative_to(root)}: no paper file config/papers/{pid}.yaml")
            continue
        if papers[pid]["status"] == "planned":
            continue
        out += _dangling_rows(pid, pd.read_csv(csv, keep_default_na=False), config)
    used = users(root)
    for name in MODELS.names():
        doc = _module_doc(_module_of(MODELS.get(name)))
        if name not in used["models"]:
            out.append(f"model '{name}' is registered but no experiment uses it")
        elif not DOI.search(doc):
            out.append(f"model '{name}': its module docstring cites no DOI")
        out += _says_user("model", name, used["models"].get(name, set()), doc)
    for name in PROTOCOLS.names():
        doc = _module_doc(_module_of(PROTOCOLS.get(name)))
        papers_of = used["protocols"].get(name, set())
        if not papers_of:
            out.append(f"protocol '{name}' is registered but no experiment uses it")
        else:
            out += _says_user("protocol", name, papers_of, doc)
    reader_api = ("read_subject", "required_files", "archive_urls", "validate_file")
    for ds, info in all_datasets().items():
        for module, needs in (
            (f"emgrepro.datasets.{info.reader}", reader_api),
            (f"emgrepro.datasets.{info.reader}_twin", ("twin_files",)),
        ):
            try:
                mod = importlib.import_module(module)
            except ImportError:
                out.append(f"dataset '{ds}': no module {module}")
                continue
            missing = [f for f in needs if not hasattr(mod, f)]
            if missing:
                out.append(f"dataset '{ds}': {module} lacks {missing}")
    return out


def _says_user(kind: str, name: str, papers_of: set[str], doc: str) -> list[str]:
    """A model or protocol of one paper says so in its module docstring."""
    if len(papers_of) != 1:
        return []
    paper = next(iter(papers_of))
    if re.search(rf"Used by:[^.\n]*\b{paper}\b", doc):
        return []
    return [f"{kind} '{name}': its module docstring does not say 'Used by: {paper}'"]


def _module_of(obj) -> str:
    """The module of a registered class (models) or instance (protocols)."""
    return obj.__module__ if isinstance(obj, type) else type(obj).__module__


def _dangling_rows(pid: str, table: pd.DataFrame, config: dict) -> list[str]:
    out = []
    for _, row in table.iterrows():
        sides = [dict(row)]
        for item in filter(None, str(row.get("versus", "")).split(";")):
            key, _, value = item.partition("=")
            sides.append({**dict(row), key.strip(): value.strip()})
        for side in sides:
            exp = config["experiments"].get(side["experiment"])
            where = f"{pid}.published.csv row '{row['row']}'"
            if exp is None or exp["paper"] != pid:
                out.append(f"{where}: no experiment '{side['experiment']}' of {pid}")
            elif side["protocol"] not in exp["protocols"]:
                out.append(f"{where}: experiment {side['experiment']} runs no '{side['protocol']}'")
            elif side["model"] not in exp["models"]:
                out.append(f"{where}: experiment {side['experiment']} runs no '{side['model']}'")
    return out


def paper_table(root: Path = ROOT) -> str:
    """The README's table: per paper, its config, published numbers, models, protocols,
    notebook and tests (generated from the registrations, never kept by hand)."""
    from emgrepro.models import MODELS
    from emgrepro.protocols import PROTOCOLS

    root = Path(root)
    config = _reference(root)
    lines = [
        "| paper | status | config and published numbers | models | protocols | report | tests |",
        "|---|---|---|---|---|---|---|",
    ]
    for pid, data in paper_files(str(root / "config" / "papers")).items():
        exps = [e for e in config["experiments"].values() if e["paper"] == pid]
        models = sorted({m for e in exps for m in e["models"]})
        protocols = sorted({p for e in exps for p in e["protocols"]})

        def files(names, registry):
            mods = sorted({_file(registry.get(n)) for n in names})
            return ", ".join(f"`{m}`" for m in mods) or "—"

        cfg = f"`config/papers/{pid}.yaml`"
        if data["published"]:
            cfg += f", `{pid}.published.csv`"
        active = data["status"] == "active"
        lines.append(
            f"| `{pid}` | {data['status']} | {cfg} | {files(models, MODELS)} | "
            f"{files(protocols, PROTOCOLS)} | "
            + (f"`notebooks/{pid}.py` | `tests/test_{pid}.py` |" if active else "— | — |")
        )
    return "\n".join(lines)


def _file(obj) -> str:
    return _module_of(obj).split(".", 1)[1].replace(".", "/") + ".py"
