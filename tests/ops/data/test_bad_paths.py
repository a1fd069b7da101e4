"""No tracebacks, ever: every data command on every bad path ends with exactly one `Error:` line and
the documented exit code (core.errors.EXIT_CODES: 2 for usage and bad paths, 1 for data errors)."""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from core.errors import EXIT_CODES, EXIT_FAILURE, EXIT_USAGE
from ops.cli import cli
from ops.data import scan as scan_module

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "data"
ROOT = os.geteuid() == 0  # root reads and writes through permission bits
UNOPENABLE = Path("/proc/self/clear_refs")  # a regular file nobody can open for reading (EINVAL)

# command name -> its arguments around FILE
COMMANDS: dict[str, Callable[[str], list[str]]] = {
    "validate": lambda f: ["data", "validate", f],
    "validate-structure": lambda f: ["data", "validate", f, "--structure-only"],
    "estimate": lambda f: ["data", "estimate", f, "-e", "1"],
    "split": lambda f: ["data", "split", f, "-f", "0.2", "-d", "out"],
    "overlap-train": lambda f: ["data", "overlap", f, "valid.jsonl"],
    "overlap-validation": lambda f: ["data", "overlap", "valid.jsonl", f],
    "fix": lambda f: ["data", "fix", f, "--out", "clean.jsonl"],
    "upload": lambda f: ["data", "upload", f],
}


@pytest.fixture()
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    shutil.copy(FIXTURES / "valid.jsonl", tmp_path / "valid.jsonl")
    (tmp_path / "a-directory").mkdir()
    (tmp_path / "latin1.jsonl").write_bytes(
        (FIXTURES / "valid.jsonl").read_bytes().replace(b"bicycle", b"v\xe9lo")
    )
    locked = tmp_path / "locked.jsonl"
    shutil.copy(FIXTURES / "valid.jsonl", locked)
    locked.chmod(0)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FOUNDRY_OUTPUTS", raising=False)
    monkeypatch.delenv("FOUNDRY_STACK", raising=False)
    yield tmp_path
    locked.chmod(0o600)


def listing(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def check_one_error(args: list[str], code: int, root: Path) -> str:
    """Run; the exit code is `code`, stderr ends with the only `Error:` line, no traceback anywhere.
    Returns that line."""
    before = listing(root)
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    everything = result.stdout + result.stderr
    assert "Traceback" not in everything
    assert result.exit_code == code, (result.exit_code, everything)
    assert code in EXIT_CODES
    lines = result.stderr.splitlines()
    assert lines and lines[-1].startswith("Error: "), result.stderr
    assert everything.count("Error:") == 1, everything
    if code == EXIT_USAGE:
        assert result.stdout == ""  # nothing was done
        assert listing(root) == before  # nothing was changed
    return lines[-1]


INPUTS = {
    "missing": ("missing.jsonl", EXIT_USAGE, "Error: missing.jsonl: no such file"),
    "directory": ("a-directory", EXIT_USAGE, "Error: a-directory: not a regular file"),
    "missing-parent": ("nowhere/t.jsonl", EXIT_USAGE, "Error: nowhere/t.jsonl: no such file"),
    "file-as-parent": ("valid.jsonl/t.jsonl", EXIT_USAGE, "Error: valid.jsonl/t.jsonl: no such file"),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("case", sorted(INPUTS))
def test_bad_input_path(workdir: Path, command: str, case: str) -> None:
    path, code, message = INPUTS[case]
    assert check_one_error(COMMANDS[command](path), code, workdir) == message


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_unreadable_input(workdir: Path, monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    """A chmod 000 file. Root reads one anyway, so as root access(2) is made to answer as for a user."""
    if ROOT:
        real = os.access

        def as_a_user(path: object, mode: int, **kwargs: object) -> bool:
            return False if Path(str(path)).name == "locked.jsonl" else real(path, mode, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr("ops.data.files.os.access", as_a_user)
    line = check_one_error(COMMANDS[command]("locked.jsonl"), EXIT_USAGE, workdir)
    assert line == "Error: locked.jsonl: not readable (permission denied)"


@pytest.mark.skipif(not UNOPENABLE.is_file(), reason="needs Linux /proc")
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_unopenable_input(workdir: Path, command: str) -> None:
    """A regular file that cannot be opened for reading, whoever asks."""
    line = check_one_error(COMMANDS[command](str(UNOPENABLE)), EXIT_USAGE, workdir)
    assert line == f"Error: {UNOPENABLE}: cannot read: Invalid argument"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_not_utf8_is_a_data_error(workdir: Path, command: str) -> None:
    line = check_one_error(COMMANDS[command]("latin1.jsonl"), EXIT_FAILURE, workdir)
    assert "latin1.jsonl" in line
    assert not (workdir / "out").exists() and not (workdir / "clean.jsonl").exists()


# Output paths: split's --out-dir and fix's --out.
OUTPUTS: dict[str, tuple[list[str], str]] = {
    "split-dir-under-a-file": (
        ["data", "split", "valid.jsonl", "-f", "0.2", "-d", "valid.jsonl/sub"],
        "Error: valid.jsonl/sub: cannot create the directory: valid.jsonl is not a directory",
    ),
    "split-dir-is-a-file": (
        ["data", "split", "valid.jsonl", "-f", "0.2", "-d", "valid.jsonl"],
        "Error: valid.jsonl: exists and is not a directory",
    ),
    "split-dir-in-sys": (
        ["data", "split", "valid.jsonl", "-f", "0.2", "-d", "/sys/foo"],
        "Error: /sys/foo: cannot create the directory: Operation not permitted",
    ),
    "split-dir-in-proc": (
        ["data", "split", "valid.jsonl", "-f", "0.2", "-d", "/proc/foo/bar"],
        "Error: /proc/foo/bar: cannot create the directory: No such file or directory",
    ),
    "split-dir-read-only": (
        ["data", "split", "valid.jsonl", "-f", "0.2", "-d", "/sys"],
        "Error: /sys: cannot write: Operation not permitted",
    ),
    "fix-out-under-a-file": (
        ["data", "fix", "valid.jsonl", "--out", "valid.jsonl/clean.jsonl"],
        "Error: valid.jsonl/clean.jsonl: cannot write: valid.jsonl is not a directory",
    ),
    "fix-out-in-missing-dir": (
        ["data", "fix", "valid.jsonl", "--out", "nowhere/clean.jsonl"],
        "Error: nowhere/clean.jsonl: cannot write: no such directory nowhere",
    ),
    "fix-out-read-only": (
        ["data", "fix", "valid.jsonl", "--out", "/sys/clean.jsonl"],
        "Error: /sys: cannot write: Permission denied",
    ),
    "fix-out-is-a-directory": (
        ["data", "fix", "valid.jsonl", "--out", "a-directory"],
        "Error: a-directory: is a directory; --out takes a file name",
    ),
}


@pytest.mark.skipif(not Path("/sys").is_dir(), reason="needs Linux /sys")
@pytest.mark.parametrize("case", sorted(OUTPUTS))
def test_bad_output_path(workdir: Path, case: str) -> None:
    args, message = OUTPUTS[case]
    line = check_one_error(args, EXIT_USAGE, workdir)
    if "/sys" in message and line != message:  # how /sys refuses differs between kernels and mounts
        assert line.startswith(message.split(": cannot")[0] + ": cannot")
    else:
        assert line == message


@pytest.mark.parametrize("command", ["split", "fix"])
def test_read_only_output_directory(workdir: Path, monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    """A chmod 555 directory. Root writes into one anyway, so as root creating a file in it is made to
    fail as it does for a user (EACCES from open and mkdir)."""
    if ROOT:
        real_open = open

        def as_a_user(file: object, mode: str = "r", *args: object, **kwargs: object) -> object:
            if "x" in mode and Path(str(file)).parent.name == "ro":
                raise PermissionError(errno.EACCES, "Permission denied")
            return real_open(file, mode, *args, **kwargs)  # type: ignore[call-overload]

        real_mkdir = os.mkdir

        def mkdir_as_a_user(path: Any, mode: int = 0o777, *args: Any, **kwargs: Any) -> None:
            if Path(path).parent.name == "ro":
                raise PermissionError(errno.EACCES, "Permission denied")
            real_mkdir(path, mode, *args, **kwargs)

        monkeypatch.setattr("ops.data.files.open", as_a_user, raising=False)
        monkeypatch.setattr(os, "mkdir", mkdir_as_a_user)
    ro = workdir / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        args = (
            ["data", "split", "valid.jsonl", "-f", "0.2", "-d", "ro"]
            if command == "split"
            else ["data", "fix", "valid.jsonl", "--out", "ro/clean.jsonl"]
        )
        assert check_one_error(args, EXIT_USAGE, workdir) == "Error: ro: cannot write: Permission denied"
    finally:
        ro.chmod(0o755)


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (PermissionError(errno.EACCES, "Permission denied"), EXIT_USAGE, "cannot read: Permission denied"),
        (OSError(errno.EIO, "Input/output error"), EXIT_FAILURE, "cannot read: Input/output error"),
    ],
    ids=["permission", "io-error"],
)
@pytest.mark.parametrize("command", ["validate", "estimate"])
def test_read_failing_half_way(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, command: str, error: OSError, code: int, message: str
) -> None:
    """The file passes the up-front checks, then reading it fails (it went away, the disk failed)."""

    def failing_open(path: str, mode: str = "r") -> object:
        error.filename = path
        raise error

    monkeypatch.setattr(scan_module, "open", failing_open, raising=False)
    assert (
        check_one_error(COMMANDS[command]("valid.jsonl"), code, workdir) == f"Error: valid.jsonl: {message}"
    )


def test_an_os_error_escaping_a_command_is_one_line(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The data group's safety net: whatever OSError gets past ops.data ends as one `Error:` line."""
    import ops.data.validate

    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "/tmp/spill")

    monkeypatch.setattr(ops.data.validate, "validate_file", broken)
    line = check_one_error(["data", "validate", "valid.jsonl"], EXIT_FAILURE, workdir)
    assert line == "Error: /tmp/spill: No space left on device"


@pytest.mark.parametrize(
    "spelling",
    [
        "",
        ".",
        "./",
        "a",
        "a/",
        "./a",
        "a//b",
        "a/./b/",
        "a/../b",
        "/",
        "//",
        "///",
        "/a/",
        "//a",
        "///a//b/",
        "..",
        "../a",
    ],
)
def test_tidy_path_writes_paths_as_pathlib_does(spelling: str) -> None:
    """split and fix show and use paths the way pathlib (which they no longer load) writes them."""
    from pathlib import PurePosixPath

    from ops.data.files import tidy_path

    assert tidy_path(spelling) == str(PurePosixPath(spelling))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["data", "fix", "train.jsonl", "--out", ""], "Error: .: is a directory; --out takes a file name\n"),
        (
            ["data", "fix", "train.jsonl", "--out", "out//"],
            "Error: out: is a directory; --out takes a file name\n",
        ),
        (
            ["data", "split", "train.jsonl", "-d", "./", "-f", "0.2"],
            "Error: train.jsonl: is the input file; choose another --out-dir\n",
        ),
    ],
    ids=["fix to ''", "fix to out//", "split into ./"],
)
def test_odd_output_spellings(workdir: Path, args: list[str], message: str) -> None:
    (workdir / "out").mkdir()
    shutil.copy(workdir / "valid.jsonl", workdir / "train.jsonl")
    result = CliRunner().invoke(cli, args)
    assert (result.exit_code, result.output) == (EXIT_USAGE, message)
