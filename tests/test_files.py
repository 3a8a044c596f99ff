"""Writing files: one policy for every -o, nothing clobbered, nothing half-written, no temp file left behind."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from derive import files
from derive.cli import main
from derive.errors import DeriveError
from derive.render import MARK

FORMULA = r"\delta^L = a^L - y"
# every command that writes a file with -o, as the shortest command line that would succeed
COMMANDS = {
    "table": ["table"],
    "verify": ["verify", "--layers", "2", "--trials", "1"],
    "check": ["check", "--loss", "mse", "--activation", "identity", FORMULA],
    "lint": ["lint", "--loss", "mse", "--activation", "identity", "NOTES"],
    "translate": ["translate", "--from", "nielsen", "--to", "ng", FORMULA],
    "doc": ["doc"],
}


@pytest.fixture
def notes(tmp_path) -> Path:
    path = tmp_path / "notes.md"
    path.write_text(f"$${FORMULA}$$\n")
    return path


def command(name: str, notes: Path, target: Path, *extra: str) -> list[str]:
    return [str(notes) if a == "NOTES" else a for a in COMMANDS[name]] + ["-o", str(target), *extra]


def snapshot(path: Path):
    """What must not change: kind, mtime and bytes (or listing) of ``path`` and the listing around it."""
    around = sorted(p.name for p in path.parent.iterdir()) if path.parent.exists() else None
    if not os.path.lexists(path):
        return None, around
    st = os.lstat(path)
    body = path.read_bytes() if stat.S_ISREG(st.st_mode) else \
        sorted(p.name for p in path.iterdir()) if stat.S_ISDIR(st.st_mode) else None
    return (stat.S_IFMT(st.st_mode), st.st_mtime_ns, stat.S_IMODE(st.st_mode), body), around


def assert_refused(status: int, err: str, needle: str) -> None:
    assert status == 2
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("derive: error: ") and needle in err, err


def make_target(kind: str, tmp_path: Path) -> tuple[Path, str]:
    """A target of the given kind and the words its refusal must contain."""
    if kind == "foreign":
        path = tmp_path / "mine.md"
        path.write_text("my own notes\n")
        return path, "use --force"
    if kind == "folder":
        path = tmp_path / "somedir"
        path.mkdir()
        (path / "keep.txt").write_text("kept\n")
        return path, "is a folder"
    if kind == "missing folder":
        return tmp_path / "no" / "such" / "out.md", "does not exist"
    if kind == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path)
        return path, "not a regular file"
    raise AssertionError(kind)


@pytest.mark.parametrize("name", COMMANDS)
@pytest.mark.parametrize("kind", ["foreign", "folder", "missing folder"])
def test_bad_target_is_refused_before_the_work_and_left_untouched(name, kind, tmp_path, notes, capsys):
    target, needle = make_target(kind, tmp_path)
    before = snapshot(target)
    start = time.monotonic()
    status = main(command(name, notes, target))
    assert_refused(status, capsys.readouterr().err, needle)
    assert snapshot(target) == before
    assert time.monotonic() - start < 5  # refused before deriving anything


@pytest.mark.parametrize("name", COMMANDS)
def test_a_named_pipe_is_refused_without_opening_it(name, tmp_path, notes):
    target, needle = make_target("fifo", tmp_path)
    before = snapshot(target)
    # in a subprocess: opening a pipe that nobody reads would block this test forever
    result = subprocess.run([sys.executable, "-m", "derive.cli", *command(name, notes, target)],
                            capture_output=True, text=True, timeout=30)
    assert_refused(result.returncode, result.stderr, needle)
    assert snapshot(target) == before


def test_an_output_without_a_marker_never_replaces_a_file_unforced(tmp_path, capsys):
    # a table carries no marker, so derive cannot tell its own from the user's: even its own is refused
    # (documents carry one and are replaced: tests/test_documents.py)
    path = tmp_path / "table.txt"
    assert main(["table", "-o", str(path)]) == 0
    before = snapshot(path)
    assert_refused(main(["table", "-o", str(path)]), capsys.readouterr().err, "use --force")
    assert snapshot(path) == before
    assert main(["table", "--force", "-o", str(path)]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["table.txt"]


@pytest.mark.parametrize("name", ["table", "check", "lint"])
def test_force_replaces_a_foreign_file_and_keeps_its_mode(name, tmp_path, notes):
    target = tmp_path / "mine.md"
    target.write_text("my own notes\n")
    target.chmod(0o640)
    assert main(command(name, notes, target, "--force")) == 0
    assert target.read_text() != "my own notes\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["mine.md", "notes.md"])


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_a_new_file_respects_the_umask(umask, mode, tmp_path):
    old = os.umask(umask)
    try:
        files.write(tmp_path / "new.txt", "text\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == mode


def test_a_symbolic_link_is_written_through(tmp_path):
    real = tmp_path / "real.md"
    real.write_text(MARK + "\n")
    (tmp_path / "link.md").symlink_to(real)
    files.write(tmp_path / "link.md", MARK + " again\n", mark=MARK)
    assert (tmp_path / "link.md").is_symlink() and real.read_text() == MARK + " again\n"


def test_a_folder_we_may_not_write_is_one_line(tmp_path, monkeypatch, capsys):
    # the tests run as root, whom chmod does not stop: fail the temp file's creation as for any other user
    real_open = os.open

    def denied(path, flags, mode=0o777, *args, **kwargs):
        if str(path).endswith(".tmp"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    assert_refused(main(["table", "-o", str(tmp_path / "x.txt")]), capsys.readouterr().err, "Permission denied")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("error,status", [(OSError(28, "No space left on device"), 2), (KeyboardInterrupt(), 130)])
def test_no_temp_file_is_left_after_an_error_midway(error, status, tmp_path, monkeypatch, capsys):
    target = tmp_path / "mine.md"
    target.write_text("my own notes\n")
    before = snapshot(target)

    def fail(fd):
        raise error

    monkeypatch.setattr(os, "fsync", fail)  # after the bytes went into the temp file, before the rename
    assert main(["table", "--force", "-o", str(target)]) == status
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert snapshot(target) == before


def test_no_temp_file_is_left_after_any_exception(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        files.write(tmp_path / "x.txt", "text\n")
    assert list(tmp_path.iterdir()) == []


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_temp_files_of_ours_are_removed_on_the_next_write(tmp_path):
    dead, old = dead_pid(), time.time() - 2 * files.STALE_SECONDS
    left = {  # name: (age, removed?)
        f".out.md.{dead}-0123abcd.tmp": (None, True),  # its writer was killed
        f".out.md.{os.getppid()}-0123abcd.tmp": (None, False),  # a live writer, maybe busy
        f".out.md.{os.getppid()}-4567abcd.tmp": (old, True),  # alive (or the pid reused), but abandoned long ago
        ".out.md.a1b2_c3d.tmp": (old, True),  # tempfile's name, from an earlier derive
        ".out.md.e5f6_g7h.tmp": (None, False),  # ... but recent: maybe still being written
        ".out.md.notes.tmp": (old, False),  # not our pattern
        f".other.md.{dead}-0123abcd.tmp": (None, False),  # another target's
        f".out.md.{dead}-0123abcd.tmp.bak": (old, False),
    }
    for name, (age, _) in left.items():
        (tmp_path / name).write_text("partial")
        if age:
            os.utime(tmp_path / name, (age, age))
    files.write(tmp_path / "out.md", "text\n")
    kept = {name for name, (_, removed) in left.items() if not removed}
    assert {p.name for p in tmp_path.iterdir()} == kept | {"out.md"}


# stdout: a reader that goes away, a full disk


def run_cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "derive.cli", *args], stderr=subprocess.PIPE, text=True,
                          timeout=60, **kwargs)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_on_stdout_is_one_line():
    with open("/dev/full", "w") as full:
        result = run_cli("list", stdout=full)
    assert result.returncode == 2
    assert result.stderr == "derive: error: cannot write to standard output: No space left on device\n"


def test_a_closed_pipe_on_stdout_exits_quietly():
    read, write = os.pipe()
    os.close(read)  # the reader is gone before derive writes: like `derive doc | head -c1` on a long document
    try:
        result = run_cli("list", stdout=write)
    finally:
        os.close(write)
    assert (result.returncode, result.stderr) == (141, "")


# the gallery: a folder replaced whole


def test_gallery_into_an_existing_file_is_refused(tmp_path, capsys):
    target = tmp_path / "output"
    target.write_text("not a folder\n")
    before = snapshot(target)
    assert_refused(main(["gallery", "-o", str(target)]), capsys.readouterr().err, "not a folder")
    assert snapshot(target) == before


@pytest.mark.parametrize("foreign,extra,needle", [
    ("nielsen/bce-sigmoid.md", [], "use --force"),  # a gallery file the user edited
    ("notes.txt", [], "move it out"),  # the user's own file, which the swap would drop
    ("notes.txt", ["--force"], "move it out"),  # --force overwrites, it does not delete
])
def test_gallery_refuses_to_lose_a_foreign_file(foreign, extra, needle, tmp_path, capsys):
    out = tmp_path / "output"
    (out / "nielsen").mkdir(parents=True)
    (out / "README.md").write_text(f"<!-- {MARK}: regenerate with `derive gallery` -->\n")
    (out / foreign).write_text("mine\n")
    before = snapshot(out / foreign), snapshot(out)
    start = time.monotonic()
    assert_refused(main(["gallery", "-o", str(out), *extra]), capsys.readouterr().err, needle)
    assert (snapshot(out / foreign), snapshot(out)) == before
    assert time.monotonic() - start < 5  # refused before deriving anything


@pytest.fixture
def cheap_gallery(monkeypatch):
    """write_gallery with documents that cost nothing: the swap is under test, not the derivations."""
    import derive.gallery
    import derive.render
    import derive.table
    calls = []

    def document(name, loss, act, hidden, cache):
        calls.append(name)
        return f"{name} {loss} {act}"

    def layers(folder, progress=None):  # the single-layer documents, at their paths, each kind derived not at all
        (folder / "layers").mkdir(exist_ok=True)
        for kind, letters in derive.gallery.LAYER_DOCS:
            for fmt in derive.gallery.FORMATS:
                derive.render.write(folder / "layers" / f"{kind}-{letters}.{fmt}", f"% {MARK}\n{kind} {fmt}\n")
        return [(kind, letters, letters) for kind, letters in derive.gallery.LAYER_DOCS]

    def architectures(folder, progress=None):
        (folder / "architectures").mkdir(exist_ok=True)
        for name, _, _ in derive.gallery.ARCH_DOCS:
            for fmt in derive.gallery.FORMATS:
                derive.render.write(folder / "architectures" / f"{name}.{fmt}", f"% {MARK}\n{name} {fmt}\n")
        return [(name, spec) for name, spec, _ in derive.gallery.ARCH_DOCS]

    monkeypatch.setattr(derive.gallery, "document", document)
    monkeypatch.setattr(derive.gallery, "write_layers", layers)
    monkeypatch.setattr(derive.gallery, "write_architectures", architectures)
    monkeypatch.setattr(derive.render, "render",
                        lambda doc, fmt, command, *templates, picture=None: f"% {MARK}\n{doc} {fmt} {picture}\n")
    monkeypatch.setattr(derive.gallery, "picture_svg", lambda doc: f"<!-- {MARK} -->\n<svg>{doc}</svg>\n")
    monkeypatch.setattr(derive.table, "render", lambda conv, fmt: "| table |")
    return calls


def test_gallery_swaps_the_folder_in_whole(tmp_path, cheap_gallery):
    from derive.gallery import write_gallery
    out = tmp_path / "output"
    (out / "removed_preset").mkdir(parents=True)
    (out / "removed_preset" / "bce-sigmoid.md").write_text(f"<!-- {MARK} -->\n")  # ours, no longer written
    written = write_gallery(out, force=False)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == \
        sorted(str(p.relative_to(out)) for p in written)
    assert (out / "nielsen" / "bce-sigmoid.md").read_text() == f"% {MARK}\nnielsen bce sigmoid md bce-sigmoid.svg\n"
    assert (out / "nielsen" / "bce-sigmoid.svg").read_text() == f"<!-- {MARK} -->\n<svg>nielsen bce sigmoid</svg>\n"
    assert [p.name for p in tmp_path.iterdir()] == ["output"]  # no temp or old folder beside it
    assert write_gallery(out) == written  # its own gallery it replaces
    assert [p.name for p in tmp_path.iterdir()] == ["output"]


@pytest.mark.parametrize("error", [DeriveError("verification failed"), KeyboardInterrupt()])
def test_gallery_failing_midway_leaves_the_old_one(error, tmp_path, cheap_gallery, monkeypatch):
    import derive.gallery
    from derive.gallery import write_gallery
    out = tmp_path / "output"
    write_gallery(out)
    before = {p: snapshot(p) for p in out.rglob("*")}

    def document(name, *args):
        if name == "ng":
            raise error
        return name

    monkeypatch.setattr(derive.gallery, "document", document)
    with pytest.raises(type(error)):
        write_gallery(out)
    assert {p: snapshot(p) for p in out.rglob("*")} == before
    assert [p.name for p in tmp_path.iterdir()] == ["output"]


def fill_with(text: str):
    def fill(folder: Path) -> None:
        (folder / "a.md").write_text(f"{MARK} {text}\n")
    return fill


def test_a_swap_killed_between_its_renames_is_undone_by_the_next_write(tmp_path):
    dead = dead_pid()
    old, partial = tmp_path / f".output.{dead}-0123abcd.old", tmp_path / f".output.{dead}-4567abcd.tmp"
    old.mkdir()
    (old / "a.md").write_text(f"{MARK} old\n")
    partial.mkdir()
    def fail(folder: Path) -> None:
        raise DeriveError("verification failed")

    with pytest.raises(DeriveError):  # a run that fails after the recovery: the old gallery is back
        files.write_folder(tmp_path / "output", fail, mark=MARK)
    assert (tmp_path / "output" / "a.md").read_text() == f"{MARK} old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["output"]


def test_a_failed_rename_puts_the_old_folder_back(tmp_path, monkeypatch):
    files.write_folder(tmp_path / "output", fill_with("old"), mark=MARK)
    real_rename = os.rename

    def rename(src, dst):
        if Path(src).name.endswith(".tmp"):
            raise OSError(5, "Input/output error")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(DeriveError, match="Input/output error"):
        files.write_folder(tmp_path / "output", fill_with("new"), mark=MARK)
    assert (tmp_path / "output" / "a.md").read_text() == f"{MARK} old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["output"]


def test_a_folder_keeps_its_mode_and_a_new_one_respects_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        files.write_folder(tmp_path / "output", fill_with("one"), mark=MARK)
        assert stat.S_IMODE((tmp_path / "output").stat().st_mode) == 0o750
        (tmp_path / "output").chmod(0o755)
        files.write_folder(tmp_path / "output", fill_with("two"), mark=MARK)
        assert stat.S_IMODE((tmp_path / "output").stat().st_mode) == 0o755
    finally:
        os.umask(old)
