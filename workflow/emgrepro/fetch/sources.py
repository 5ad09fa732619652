"""Where a subject's raw files come from, and getting them into resources/raw verified.

A source is the official download, a local archive or folder, a URL (``{subject}`` in it
is replaced per subject), or ``synthetic``. Whatever the source, every raw file is
checked: against the registry's published sha256, the synthetic twin's manifest, or the
trust-on-first-use lock file.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlsplit

from emgrepro import layout
from emgrepro.datasets.registry import (
    SYNTHETIC,
    dataset_subjects,
    get_dataset,
    reader_module,
    source_of,
)
from emgrepro.errors import (
    ChecksumMismatch,
    ConfigError,
    DataFormatError,
    EmgreproError,
    ManualDownloadRequired,
)
from emgrepro.fetch.archive import extract_members, find_in_folder, list_members, match_members
from emgrepro.fetch.checksums import ChecksumLock, sha256_file
from emgrepro.io import atomic_folder
from emgrepro.records import from_dict

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")
MANUAL = "manual:"


@dataclass
class SourcePlan:
    """How one subject's raw files are obtained; serialisable for the command line."""

    dataset: str
    subject: int
    kind: str  # official | path | url | synthetic
    inputs: list[str]  # archives or folders the fetch job reads (Snakemake inputs)
    required: list[str]  # canonical relative paths of the raw files
    hashes: str  # published | synthetic | lock
    manifest: str = ""  # the synthetic twin's SHA256SUMS
    downloads: dict[str, str] = field(default_factory=dict)  # input path -> URL

    def to_dict(self) -> dict:
        return asdict(self)

    def files_read(self) -> list[str]:
        """Every file or folder the fetch job reads: the rule's inputs."""
        return [*self.inputs, *([self.manifest] if self.manifest else [])]

    @classmethod
    def from_dict(cls, plan: dict) -> SourcePlan:
        """A plan from the command line: a missing or unknown key is named, not a traceback."""
        return from_dict(cls, plan, "--plan")


def needed_exercises(config: dict, dataset: str) -> list[int] | None:
    """Union of the exercises the run's preprocessings read (None: all of them): those of
    the experiments of the papers this run selects."""
    papers = set(config.get("papers") or [])
    used = {
        exp["preprocessing"]
        for exp in config["experiments"].values()
        if not papers or exp["paper"] in papers
    }
    wanted: set[int] = set()
    for name, prep in config["preprocessing"].items():
        if prep["dataset"] != dataset or name not in used:
            continue
        if prep.get("exercises") is None:
            return None
        wanted.update(prep["exercises"])
    return sorted(wanted) or None


def _is_url(source: str) -> bool:
    return urlparse(source).scheme in ("http", "https", "file")


def _download_target(dataset: str, url: str) -> str:
    name = Path(urlsplit(url).path).name or f"{dataset}.zip"  # urlparse would cut at ";"
    return layout.path(layout.DOWNLOAD, dataset=dataset, archive=name)


def plan_source(config: dict, dataset: str, subject: int) -> SourcePlan:
    info = get_dataset(dataset)
    reader = reader_module(info)
    required = reader.required_files(info, subject, needed_exercises(config, dataset))
    source = source_of(config, dataset)
    hashes = "published" if info.files else "lock"
    if source == SYNTHETIC:
        return SourcePlan(
            dataset,
            subject,
            "synthetic",
            [layout.path(layout.TWIN_ARCHIVE, dataset=dataset)],
            required,
            "synthetic",
            manifest=layout.path(layout.TWIN_SUMS, dataset=dataset),
        )
    if source is None:
        urls = reader.archive_urls(info, subject) or [f"{MANUAL}{dataset}.zip"]
        kind = "official"
    elif _is_url(source):
        urls, kind = [source.replace("{subject}", str(subject))], "url"
    else:
        path = source.replace("{subject}", str(subject))
        return SourcePlan(dataset, subject, "path", [path], required, hashes)
    downloads = {}
    for url in urls:
        target = (
            layout.path(layout.DOWNLOAD, dataset=dataset, archive=url[len(MANUAL) :])
            if url.startswith(MANUAL)
            else _download_target(dataset, url)
        )
        downloads[target] = url
    return SourcePlan(
        dataset, subject, kind, list(downloads), required, hashes, downloads=downloads
    )


def download_url(config: dict, dataset: str, archive: str) -> str:
    """The URL behind ``resources/downloads/<dataset>/<archive>`` in this run."""
    target = layout.path(layout.DOWNLOAD, dataset=dataset, archive=archive)
    for subject in dataset_subjects(config, dataset):
        url = plan_source(config, dataset, subject).downloads.get(target)
        if url is not None:
            return url
    raise ConfigError(f"no source of {dataset} in this configuration downloads '{archive}'")


def check_sources(config: dict) -> None:
    """Local source paths must exist: say so before any job starts."""
    for dataset, source in config["sources"].items():
        if source == SYNTHETIC or _is_url(source):
            continue
        paths = {source.replace("{subject}", str(s)) for s in dataset_subjects(config, dataset)}
        missing = sorted(p for p in paths if not Path(p).exists())
        if missing:
            raise ConfigError(
                f"sources/{dataset}: {missing[0]} does not exist"
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                + "; give the path of an archive or folder holding the raw files, "
                "relative to the folder Snakemake runs in, or an absolute path"
            )


def check_subject_urls(config: dict, dataset: str) -> None:
    """A URL with ``{subject}`` must give each subject its own download: one placed only in
    the query string would save every subject's archive under the same name."""
    source = source_of(config, dataset)
    if not source or not _is_url(source) or "{subject}" not in source:
        return
    targets: dict[str, list[int]] = {}
    for s in dataset_subjects(config, dataset):
        target = _download_target(dataset, source.replace("{subject}", str(s)))
        targets.setdefault(target, []).append(s)
    for target, subjects in targets.items():
        if len(subjects) > 1:
            raise ConfigError(
                f"sources/{dataset}: in '{source}' {{subject}} does not change the file name, "
                f"so subjects {subjects} would all download to {target}; put {{subject}} in "
                "the URL's file name (e.g. .../s{subject}.zip)"
            )


def manual_download_error(dataset: str) -> ManualDownloadRequired:
    info = get_dataset(dataset)
    instructions = " ".join(str(info.download.get("instructions", "")).split())
    return ManualDownloadRequired(
        f"{dataset} cannot be downloaded automatically. {instructions} "
        f"Official page: {info.homepage}"
    )


def _locate(plan: SourcePlan, aliases) -> list[tuple[str, dict[str, str]]]:
    """(archive or folder, {canonical: member or file}) pairs covering the required files."""
    found: list[tuple[str, dict[str, str]]] = []
    left = list(plan.required)
    candidates: list[str] = []
    for src in plan.inputs:
        p = Path(src)
        if p.is_dir():
            hits = find_in_folder(p, left, aliases)
            if hits:
                found.append((str(p), {k: str(v) for k, v in hits.items()}))
                left = [r for r in left if r not in hits]
            candidates += sorted(
                str(a) for a in p.rglob("*") if a.is_file() and a.name.endswith(ARCHIVE_SUFFIXES)
            )
        elif p.is_file():
            candidates.append(str(p))
        else:
            raise EmgreproError(f"{src}: source not found; fix `sources/{plan.dataset}`")
    for archive in candidates:
        if not left:
            break
        hits = match_members(list_members(archive), left, aliases, source=archive)
        if hits:
            found.append((archive, hits))
            left = [r for r in left if r not in hits]
    if left:
        shown = ", ".join(left[:5]) + (f" and {len(left) - 5} more" if len(left) > 5 else "")
        raise EmgreproError(
            f"{plan.dataset} subject {plan.subject}: {len(left)} raw file(s) not found in "
            f"{', '.join(plan.inputs)}: {shown}. Check that the source holds this subject"
        )
    return found


def _expected(plan: SourcePlan) -> dict[str, str]:
    if plan.hashes == "published":
        return get_dataset(plan.dataset).files
    if plan.hashes == "synthetic":
        out = {}
        for line in Path(plan.manifest).read_text().splitlines():
            if line.strip():
                digest, name = line.split(None, 1)
                out[name.strip().lstrip("*")] = digest
        return out
    return {}


def fetch_subject(plan: SourcePlan, out_dir: Path, lock_path: Path) -> list[Path]:
    """Copy or extract the subject's raw files into ``out_dir`` and verify them.

    Every file is checked against its published sha256 or the twin's manifest, and must be
    accepted by its reader; only then does the trust-on-first-use lock record (or compare)
    the hashes of files that have no published one. Files are copied, never linked: the
    verified copy cannot change when the user's source does. Everything is written into a
    temporary folder first and renamed into place only when every file has passed, so a
    failure leaves nothing behind and the lock learns nothing from a bad file.
    """
    if any(u.startswith(MANUAL) for u in plan.downloads.values()):
        raise manual_download_error(plan.dataset)
    info = get_dataset(plan.dataset)
    reader = reader_module(info)
    out_dir = Path(out_dir)
    try:
        with atomic_folder(out_dir) as tmp:
            _place_and_check(plan, info, reader, tmp, lock_path)
    except (DataFormatError, ChecksumMismatch) as exc:
        if not plan.downloads:
            raise
        # A bad download must not stay as a finished input: remove it so the next run
        # fetches it again (a user's own files are never removed).
        for archive in plan.downloads:
            Path(archive).unlink(missing_ok=True)
        raise type(exc)(
            f"{exc} The downloaded {', '.join(plan.downloads)} was removed: rerun to fetch it "
            "again, or point `sources` at a good copy."
        ) from None
    return [out_dir / r for r in plan.required]


def _place_and_check(plan: SourcePlan, info, reader, tmp: Path, lock_path: Path) -> None:
    """Copy or extract the files into ``tmp``; check hashes and the reader; then the lock."""
    origin: dict[str, str] = {}  # canonical -> the user's file (or archive and member)
    for src, mapping in _locate(plan, reader.aliases):
        if Path(src).is_dir():
            for canonical, file in mapping.items():
                (tmp / canonical).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(file, tmp / canonical)
                origin[canonical] = str(file)
        else:
            extract_members(src, mapping, tmp)
            origin.update({c: f"{src} (member {m})" for c, m in mapping.items()})
    expected = _expected(plan)
    hashes = {}
    for canonical in plan.required:
        actual = sha256_file(tmp / canonical)
        if plan.hashes != "lock" and expected.get(canonical) != actual:
            raise ChecksumMismatch(
                f"{plan.dataset}/{canonical}: sha256 {actual} differs from the "
                f"{'published' if plan.hashes == 'published' else 'twin manifest'} value "
                f"{expected.get(canonical)} (source: {', '.join(plan.inputs)}). The file is "
                "corrupt or not the original; get a fresh copy of the source"
            )
        try:
            reader.validate_file(info, tmp, plan.subject, canonical)
        except DataFormatError as exc:  # name the user's file, not the temporary copy
            where = origin.get(canonical, canonical)
            raise DataFormatError(str(exc).replace(str(tmp / canonical), where)) from None
        hashes[canonical] = actual
    if plan.hashes == "lock":  # every file passed: now the lock may learn or compare
        lock = ChecksumLock(lock_path)
        for canonical, actual in hashes.items():
            lock.verify(f"{plan.dataset}/{canonical}", actual)
