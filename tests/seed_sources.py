"""Where a published row's ``source`` says its number was read, found in the source
documents (../shared/seeds) and REFERENCE.md: a table cell by row and column, or the text
of a named section. Tests use it to check that a registered number sits in the right row,
column and metric, not merely somewhere in the document."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

NUMBER = re.compile(r"[−-]?\d+(?:,\d{3})*(?:\.\d+)?")


def numbers(text: str) -> list[float]:
    return [float(m.replace(",", "").replace("−", "-")) for m in NUMBER.findall(text)]


@dataclass
class Located:
    """What the source holds at the row's place: the cell's numbers (mean, then sd), or
    every number of a section (``loose``: the row's mean must be among them)."""

    values: list[float]
    loose: bool = False
    text: str = ""  # the section, for a loose match
    derived: list[tuple[float, float]] = field(default_factory=list)  # (a, b) of "a% vs. b%"


class Sources:
    def __init__(self, shared: Path) -> None:
        seeds = shared / "seeds"
        self.doc0 = (seeds / "000_8c4e7391d74f280d.txt").read_text()
        self.doc1 = (seeds / "001_5f5f7a1bfc28e0d7.txt").read_text().split("\nReferences\n")[0]
        self.doc2 = (seeds / "002_cfdce759fd5af7c6.txt").read_text()
        self.reference = (shared / "REFERENCE.md").read_text()

    # -- document 001 ------------------------------------------------------------------
    def _section_001(self, name: str) -> str:
        if name == "Abstract":
            return self.doc1.split("\nAbstract\n", 1)[1].split("\n1 Introduction\n", 1)[0]
        if name == "Conclusion":
            return self.doc1.split("\n5 Conclusion\n", 1)[1]
        lines = self.doc1.splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith(f"{name} "))
        stop = next(
            (
                i
                for i in range(start + 1, len(lines))
                if re.match(r"^\d(\.\d)+ |^\d \w", lines[i]) and not lines[i].startswith(name)
            ),
            len(lines),
        )
        return "\n".join(lines[start + 1 : stop])

    def _table_001(self, number: int) -> list[list[str]]:
        """The rows of markdown Table ``number`` of document 001 (cells as text)."""
        blocks = re.findall(r"((?:^[^\n]*\|[^\n]*\n)+)", self.doc1, flags=re.M)
        return [
            [c.strip() for c in line.split("|")]
            for line in blocks[number - 1].splitlines()
            if not set(line) <= set("-| ")
        ]

    def wu(self, row: dict) -> Located:
        source = row["source"]
        if source.startswith("001 Table 1"):
            cells = {r[0]: r for r in self._table_001(1)}[row["row"]]
            return Located(numbers(cells[1 if row["column"] == "R2" else 2]))
        if source.startswith("001 Table 2"):
            group, found = None, {}
            for cells in self._table_001(2):
                head = cells[0].split(" ")[0].lower()
                if head in ("within-subject", "cross-subject", "all-subject"):
                    group = head.split("-")[0]
                    continue
                found[(group, cells[1])] = cells[2]
            return Located(numbers(found[(row["group"], row["row"])]))
        if source.startswith("001 Table 3"):
            cells = {r[0]: r for r in self._table_001(3)}[row["row"]]
            return Located(numbers(cells[1 if row["column"] == "epochs" else 2]))
        sections = re.match(r"001 (?:Sec )?([\w.]+)(?: and (\w+))?", source).groups()
        text = "\n".join(self._section_001(s) for s in sections if s)
        return Located(numbers(text), loose=True, text=text)

    # -- document 002 ------------------------------------------------------------------
    def _atzori(self) -> str:
        return self.doc2.split("#### 2.")[0]

    def atzori(self, row: dict) -> Located:
        part = self._atzori()
        m = re.match(r"002 Atzori 2016 Results Dataset (\d)", row["source"])
        if not m:  # the times: "1 h and 42 min", "21.5 s"
            text = part.split("###### Dataset 3:")[1]
            hours = re.search(r"(\d+) h and (\d+) min", text)
            seconds = [3600 * float(hours[1]) + 60 * float(hours[2])] if hours else []
            return Located(numbers(text) + seconds, loose=True)
        block = part.split(f"###### Dataset {m[1]}:")[1].split("######")[0]
        block = block.split("##### Comment")[0]
        lines = [line for line in block.splitlines() if ":" in line]
        label = row["row"].split(" ", 1)[1]  # "CNN", "classical average", "best SVM"
        if label == "CNN":
            wanted = next(line for line in lines if line.startswith("CNN:"))
        elif label == "classical average":
            wanted = next(line for line in lines if line.startswith("Average accuracy"))
        else:
            method = label.split(" ", 1)[1]
            wanted = next(
                line for line in lines if line.startswith(f"Best classification with {method}")
            )
        return Located(numbers(wanted.split(":", 1)[1]))

    def _zhai_reference(self) -> str:
        return self.reference.split("- Zhai 2017 **[paper]**")[1].split(
            "- Atzori 2016 **[secondary]**"
        )[0]

    def zhai(self, row: dict) -> Located:
        source = row["source"]
        if source.startswith("002 Zhai 2017 Abstract"):
            text = self.doc2.split("#### 2.")[1].split("#### 3.")[0]
            return Located(numbers(text.split("![]")[0]), loose=True)
        ref = self._zhai_reference()
        if "Table 1" in source:
            line = next(s for s in ref.splitlines() if "Table 1 (no recalibration" in s)
            cells = {}
            for item in line.split("%):", 1)[1].split(";"):
                name, values = re.match(r"\s*(.+?)\s+(\d+\.\d+ / \d+\.\d+)\.?$", item).groups()
                cells[name.strip().split(" (")[0].lower()] = numbers(values)
            name = {"all movements": "all movements", "10-movement subset": "10-movement subset",
                    "amputees": "amputees"}.get(row["row"].lower(), row["row"].lower())  # fmt: skip
            svm, cnn = cells[name]
            return Located([svm if row["column"] == "SVM" else cnn])
        if "Table 2" in source:
            line = next(s for s in ref.splitlines() if "Table 2 (Last-Only" in s)
            body = line.split("→ average):", 1)[1]
            group = row["row"].lower()
            part = body.split(group, 1)[1].split(";")[0]
            model, what = row["column"].split(" ", 1)
            values = part.split(model, 1)[1].split("," if model == "CNN" else ";")[0]
            series = numbers(values.replace("→", " "))[:5]
            order = ["session II", "session III", "session IV", "session V", "average"]
            return Located([series[order.index(what)]])
        text = "\n".join(
            s for s in ref.splitlines() if s.strip().startswith(("- Text:", "- Timing"))
        )
        minutes = [60 * v for v in numbers(re.sub(r".*~(\d+) min.*", r"\1", text, flags=re.S))]
        return Located(numbers(text) + minutes, loose=True)

    # -- document 000 ------------------------------------------------------------------
    def hristov(self, row: dict) -> Located:
        text = self.doc0.split("More information")[0]
        return Located(numbers(text), loose=True, text=text)

    def locate(self, row: dict) -> Located:
        out = getattr(self, {"hristov2026": "hristov", "wu2024": "wu", "atzori2016": "atzori",
                             "zhai2017": "zhai"}[row["paper"]])(row)  # fmt: skip
        pair = re.search(r"\((\d+\.\d+)% (?:vs\.|->) (\d+\.\d+)%\)", row["source"])
        if pair:  # a difference the source states as its two sides
            out.derived = [(float(pair[1]), float(pair[2]))]
        return out
