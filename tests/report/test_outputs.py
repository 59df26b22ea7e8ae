"""Output folders written whole and published in one step (argo_lib.report.outputs)."""

from __future__ import annotations

import os
import sys

import pytest
from conftest import dead_pid

from argo_lib.report.outputs import (
    OutputFolderError,
    check_replaceable,
    failed_folder,
    recover,
    replace_folder,
    staged_folder,
)


def _ours(name: str) -> bool:
    return name.startswith("brief.")


def test_a_new_run_replaces_the_previous_folder_whole(tmp_path):
    target = tmp_path / "2026-W47"
    target.mkdir()
    (target / "brief.html").write_text("old report")
    (target / "brief.json").write_text("old")
    with staged_folder(target, allowed=_ours) as work:
        assert work.parent == tmp_path and work.name.startswith(".2026-W47.partial-")
        (work / "brief.json").write_text("new")
        assert (target / "brief.html").read_text() == "old report"  # untouched until the end
    assert sorted(p.name for p in target.iterdir()) == ["brief.json"]  # no old file left over
    assert (target / "brief.json").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["2026-W47"]  # no staging folder left


def test_a_failed_run_leaves_the_folder_and_keeps_its_files_beside_it(tmp_path):
    target = tmp_path / "2026-W47"
    target.mkdir()
    (target / "brief.json").write_text("published")
    with (
        pytest.raises(RuntimeError, match="kernel died"),
        staged_folder(target, allowed=_ours) as work,
    ):
        (work / "brief.failed.ipynb").write_text("half a run")
        raise RuntimeError("kernel died")
    assert (target / "brief.json").read_text() == "published"
    assert (failed_folder(target) / "brief.failed.ipynb").read_text() == "half a run"
    with staged_folder(target, allowed=_ours) as work:  # the next good run clears it
        (work / "brief.json").write_text("new")
    assert not failed_folder(target).exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"notes.txt": "keep me"}, r"holds files that no run wrote \(notes.txt\)"),
        ({"sub/brief.json": "{}"}, r"holds files that no run wrote \(sub\)"),
    ],
    ids=["foreign-file", "sub-folder"],
)
def test_a_folder_of_other_work_is_never_replaced(tmp_path, content, message):
    target = tmp_path / "outputs"
    for name, text in content.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_text(text)
    with pytest.raises(OutputFolderError, match=message) as info:
        with staged_folder(target, allowed=_ours):
            pytest.fail("no work may start")
    assert info.value.exit_code == 2
    for name, text in content.items():
        assert (target / name).read_text() == text
    assert [p.name for p in tmp_path.iterdir()] == ["outputs"]


def test_a_file_is_not_a_folder(tmp_path):
    (tmp_path / "out").write_text("x")
    with pytest.raises(OutputFolderError, match="is a file"):
        check_replaceable(tmp_path / "out", allowed=_ours)


def test_replace_folder_publishes_into_a_new_place(tmp_path):
    staged = tmp_path / ".staged"
    staged.mkdir()
    (staged / "brief.json").write_text("{}")
    target = tmp_path / "a" / "b"
    assert replace_folder(staged, target, allowed=_ours) == target
    assert (target / "brief.json").is_file() and not staged.exists()


def test_a_run_killed_between_two_renames_gets_its_previous_folder_back(tmp_path):
    # a kill after the published folder was moved aside and before the new one took its
    # place (where the folders cannot be exchanged in one step): the next run puts it back
    target = tmp_path / "2026-W47"
    aside = tmp_path / ".2026-W47.old-1a2b3c4d"
    aside.mkdir()
    (aside / "brief.json").write_text("previous")
    killed = tmp_path / f".2026-W47.partial-{dead_pid()}-5e6f7a8b"
    killed.mkdir()
    (killed / "brief.json").write_text("half")
    recover(target)
    assert (target / "brief.json").read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-W47"]


def test_staging_folders_of_live_runs_are_left_alone(tmp_path):
    target = tmp_path / "2026-W47"
    mine = tmp_path / f".2026-W47.partial-{os.getpid()}-00000000"
    mine.mkdir()
    leftover = tmp_path / ".2026-W47.old-00000001"  # the published folder exists: obsolete
    target.mkdir()
    leftover.mkdir()
    recover(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["2026-W47", mine.name])


def test_the_replacement_is_one_exchange_where_the_system_offers_it(tmp_path, monkeypatch):
    import argo_lib.report.outputs as outputs

    target = tmp_path / "2026-W47"
    target.mkdir()
    (target / "brief.json").write_text("old")
    renames = []
    real = os.rename

    def counting(a, b):
        renames.append((a, b))
        real(a, b)

    monkeypatch.setattr(outputs.os, "rename", counting)
    with staged_folder(target, allowed=_ours) as work:
        (work / "brief.json").write_text("new")
    assert (target / "brief.json").read_text() == "new"
    if sys.platform.startswith("linux"):  # renameat2: no moment without a published folder
        assert renames == []
    assert [p.name for p in tmp_path.iterdir()] == ["2026-W47"]
