"""Atomic writers (emgrepro.io): a folder, like a file, appears complete or not at all."""

from __future__ import annotations

import os
import stat

import pytest

from emgrepro.io import atomic_folder, sweep


def test_a_folder_is_swapped_in_whole_and_readable_as_the_umask_says(tmp_path):
    dest = tmp_path / "sub-1"
    dest.mkdir()
    (dest / "old.mat").write_text("old")
    old = os.umask(0o022)
    try:
        with atomic_folder(dest) as tmp:
            assert tmp.parent == tmp_path and tmp != dest
            (tmp / "a").mkdir()
            (tmp / "a" / "new.mat").write_text("new")
            assert (dest / "old.mat").exists(), "the old folder stays until the new one is whole"
    finally:
        os.umask(old)
    assert sorted(p.name for p in dest.rglob("*")) == ["a", "new.mat"]
    assert stat.S_IMODE((dest / "a" / "new.mat").stat().st_mode) == 0o644
    assert stat.S_IMODE(dest.stat().st_mode) == 0o755
    assert [p.name for p in tmp_path.iterdir()] == ["sub-1"]


def test_a_failed_folder_write_changes_nothing_and_leaves_nothing(tmp_path):
    dest = tmp_path / "sub-1"
    dest.mkdir()
    (dest / "old.mat").write_text("old")
    with pytest.raises(RuntimeError), atomic_folder(dest) as tmp:
        (tmp / "half.mat").write_text("half")
        raise RuntimeError("checks failed")
    assert [p.name for p in dest.iterdir()] == ["old.mat"]
    assert [p.name for p in tmp_path.iterdir()] == ["sub-1"]


def test_what_a_killed_folder_write_left_is_swept_by_the_next(tmp_path):
    stale = tmp_path / ".sub-1.k1ll3d.tmp"
    (stale / "deep").mkdir(parents=True)
    (stale / "deep" / "half.mat").write_text("half")
    with atomic_folder(tmp_path / "sub-1") as tmp:
        (tmp / "x.mat").write_text("x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub-1"]
    assert sweep(tmp_path) == []
