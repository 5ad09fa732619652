"""Finding, checking and extracting wanted members of zip/tar archives and folders."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from emgrepro.errors import DataFormatError, EmgreproError, UnsafeArchiveError
from emgrepro.fetch.archive import (
    check_member_name,
    extract_members,
    find_in_folder,
    list_members,
    match_members,
)

FILES = {
    "data/EMG-S1/HC-1.csv": b"s1,hc1\n",
    "data/EMG-S11/HC-1.csv": b"s11,hc1\n",
    "data/EMG-S1/HC-2.csv": b"s1,hc2\n",
    "data/readme.txt": b"readme\n",
}


def make_zip(path: Path, files: dict[str, bytes], dirs: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for d in dirs:
            zf.writestr(zipfile.ZipInfo(d.rstrip("/") + "/"), b"")
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def make_tar(path: Path, files: dict[str, bytes], dirs: tuple[str, ...] = ()) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for d in dirs:
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            tf.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture(params=["zip", "tar.gz"])
def make_archive(request: pytest.FixtureRequest, tmp_path: Path):
    def build(files: dict[str, bytes], dirs: tuple[str, ...] = ()) -> Path:
        if request.param == "zip":
            return make_zip(tmp_path / "archive.zip", files, dirs)
        return make_tar(tmp_path / "archive.tar.gz", files, dirs)

    return build


def test_list_members_marks_dirs(make_archive) -> None:
    archive = make_archive(FILES, dirs=("data", "data/EMG-S1"))
    members = list_members(archive)
    assert set(members) == set(FILES) | {"data/", "data/EMG-S1/"}


def test_extract_only_wanted(make_archive, tmp_path: Path) -> None:
    archive = make_archive(FILES, dirs=("data",))
    mapping = match_members(list_members(archive), ["EMG-S1/HC-1.csv", "EMG-S1/HC-2.csv"])
    assert mapping == {
        "EMG-S1/HC-1.csv": "data/EMG-S1/HC-1.csv",
        "EMG-S1/HC-2.csv": "data/EMG-S1/HC-2.csv",
    }
    dest = tmp_path / "out"
    written = extract_members(archive, mapping, dest)
    assert written == [dest / "EMG-S1/HC-1.csv", dest / "EMG-S1/HC-2.csv"]
    assert (dest / "EMG-S1/HC-1.csv").read_bytes() == b"s1,hc1\n"
    assert (dest / "EMG-S1/HC-2.csv").read_bytes() == b"s1,hc2\n"
    found = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*"))
    assert found == ["EMG-S1", "EMG-S1/HC-1.csv", "EMG-S1/HC-2.csv"]


@pytest.mark.parametrize("evil", ["../evil.txt", "/abs.txt", "data/../../evil.txt"])
def test_unsafe_archive_refused_whole(make_archive, tmp_path: Path, evil: str) -> None:
    archive = make_archive({**FILES, evil: b"pwned"})
    dest = tmp_path / "out"
    mapping = {"EMG-S1/HC-1.csv": "data/EMG-S1/HC-1.csv"}
    with pytest.raises(UnsafeArchiveError) as info:
        extract_members(archive, mapping, dest)
    message = str(info.value)
    assert str(archive) in message and evil in message and "nothing was extracted" in message
    assert not dest.exists()
    assert not (tmp_path / "evil.txt").exists()


@pytest.mark.parametrize(
    "name", ["/etc/passwd", "\\x.txt", "C:/x.txt", "c:x.txt", "..", "a/../b", "a\\..\\b"]
)
def test_check_member_name_refuses(name: str) -> None:
    with pytest.raises(UnsafeArchiveError, match="refused"):
        check_member_name(name, "a.zip")


@pytest.mark.parametrize("name", ["a/b.csv", "./a/b.csv", "a..b/c", "..a", "dir/"])
def test_check_member_name_accepts(name: str) -> None:
    check_member_name(name)


def test_suffix_matching_is_per_component() -> None:
    members = [
        "data/EMG-S11/HC-1.csv",
        "root/XS1_E1_A1.mat",
        "root/S1_E1_A1.mat",
        "EMG-S1/",
    ]
    got = match_members(members, ["EMG-S1/HC-1.csv", "S1_E1_A1.mat", "S2_E1_A1.mat"])
    assert got == {"S1_E1_A1.mat": "root/S1_E1_A1.mat"}
    got = match_members(["data/EMG-S1/HC-1.csv", *members], ["EMG-S1/HC-1.csv"])
    assert got == {"EMG-S1/HC-1.csv": "data/EMG-S1/HC-1.csv"}
    assert match_members(["a\\EMG-S1\\HC-1.csv"], ["EMG-S1/HC-1.csv"]) == {
        "EMG-S1/HC-1.csv": "a\\EMG-S1\\HC-1.csv"
    }


def test_directories_ignored() -> None:
    assert match_members(["x/S1_E1_A1.mat/"], ["S1_E1_A1.mat"]) == {}


def test_ambiguous_match_lists_members() -> None:
    members = ["a/S1_E1_A1.mat", "b/S1_E1_A1.mat"]
    with pytest.raises(DataFormatError) as info:
        match_members(members, ["S1_E1_A1.mat"], source="db.zip")
    assert "a/S1_E1_A1.mat" in str(info.value) and "b/S1_E1_A1.mat" in str(info.value)
    assert "db.zip" in str(info.value)


def test_mat_mat_alias(make_archive, tmp_path: Path) -> None:
    archive = make_archive({"DB3/S1_E1_A1.mat.mat": b"mat", "DB3/S2_E1_A1.mat": b"mat2"})

    def aliases(canonical: str) -> list[str]:
        return [canonical + ".mat"]

    wanted = ["S1_E1_A1.mat", "S2_E1_A1.mat", "S3_E1_A1.mat"]
    mapping = match_members(list_members(archive), wanted, aliases)
    assert mapping == {
        "S1_E1_A1.mat": "DB3/S1_E1_A1.mat.mat",
        "S2_E1_A1.mat": "DB3/S2_E1_A1.mat",
    }
    extract_members(archive, mapping, tmp_path / "out")
    assert (tmp_path / "out" / "S1_E1_A1.mat").read_bytes() == b"mat"


def test_not_an_archive(tmp_path: Path) -> None:
    junk = tmp_path / "download.zip"
    junk.write_bytes(os.urandom(4096))
    with pytest.raises(DataFormatError) as info:
        list_members(junk)
    assert str(junk) in str(info.value) and "not a zip or tar archive" in str(info.value)
    with pytest.raises(DataFormatError, match="not a zip or tar"):
        extract_members(junk, {"a": "a"}, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_truncated_zip_is_not_an_archive(tmp_path: Path) -> None:
    good = make_zip(tmp_path / "good.zip", {"a.bin": os.urandom(50_000)})
    cut = tmp_path / "cut.zip"
    cut.write_bytes(good.read_bytes()[:20_000])
    with pytest.raises(DataFormatError, match="truncated"):
        list_members(cut)


def test_missing_member_in_mapping(make_archive, tmp_path: Path) -> None:
    archive = make_archive(FILES)
    with pytest.raises(EmgreproError, match="no member"):
        extract_members(archive, {"x.csv": "data/x.csv"}, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_failure_part_way_removes_written(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    make_zip(archive, {"ok.bin": b"ok" * 1000, "bad.bin": os.urandom(5000)})
    raw = bytearray(archive.read_bytes())
    start = raw.index(b"bad.bin")  # local header name; its data follows
    raw[start + 100 : start + 120] = bytes(20)  # corrupt bad.bin's data: CRC fails
    archive.write_bytes(bytes(raw))
    dest = tmp_path / "out"
    with pytest.raises(DataFormatError, match="corrupt"):
        extract_members(archive, {"ok.bin": "ok.bin", "bad.bin": "bad.bin"}, dest)
    assert [p for p in dest.rglob("*") if p.is_file()] == []


def test_tar_symlink_member_refused(tmp_path: Path) -> None:
    archive = tmp_path / "l.tar"
    with tarfile.open(archive, "w") as tf:
        info = tarfile.TarInfo("data/S1.mat")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        tf.addfile(info)
    with pytest.raises(UnsafeArchiveError, match="link"):
        extract_members(archive, {"S1.mat": "data/S1.mat"}, tmp_path / "out")
    assert [p for p in (tmp_path / "out").rglob("*") if p.is_file()] == []


def test_find_in_folder(tmp_path: Path) -> None:
    root = tmp_path / "unpacked"
    for name, data in {**FILES, "db3/S1_E1_A1.mat.mat": b"m", "db3/XS1_E1_A1.mat": b"x"}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    (root / "db3" / "S2_E1_A1.mat").mkdir()  # a folder with a wanted name is ignored
    got = find_in_folder(
        root,
        ["EMG-S1/HC-1.csv", "S1_E1_A1.mat", "S2_E1_A1.mat"],
        lambda c: [c + ".mat"],
    )
    assert got == {
        "EMG-S1/HC-1.csv": root / "data/EMG-S1/HC-1.csv",
        "S1_E1_A1.mat": root / "db3/S1_E1_A1.mat.mat",
    }
    with pytest.raises(EmgreproError, match="folder not found"):
        find_in_folder(tmp_path / "nope", ["a"])
