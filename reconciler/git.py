"""The git facts reconciler needs about the repository that holds the budgets (DESIGN §6).

Everything runs the ``git`` executable in a subprocess; any failure becomes a ``GitError``
subclass with a one-line message. Paths handed back are relative to the repository root.

- ``repo_root`` / ``head_commit``: which repository, and the commit written into every note.
- ``dirty_paths``: uncommitted or untracked files under the budgets directory (``apply`` refuses).
- ``check_full_history``: refuse a shallow clone wherever history decides the outcome.
- ``managed_since``: when each team came under management (its Team document first reached the
  branch), in one ``git log`` pass however many teams there are, read until all are found.
- ``load_at``: the budgets directory as it was at a revision, loaded with the config loader
  from the blobs in memory (``files_at``, ``cat_blobs``): no checkout, no temporary tree.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from reconciler.clock import parse_utc
from reconciler.errors import GitError, NoCommitError, ShallowCloneError

if TYPE_CHECKING:
    from reconciler.config import ParseMemo
    from reconciler.model import DesiredState

_COMMIT_MARK = "\x01commit "
# A Team document's id is a top-level key: ``id: team_x`` (optionally quoted, optionally commented).
_ID_LINE = re.compile(r"""^\+id:[ \t]*(?:"([^"]+)"|'([^']+)'|([^\s#'"]+))[ \t]*(?:#.*)?$""")


def _environment() -> dict[str, str]:
    """git's environment: untranslated messages (their first line is shown), never a prompt."""
    return {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}


def _cannot_start(cwd: Path, exc: OSError) -> GitError:
    if isinstance(exc, FileNotFoundError):
        return GitError("git is not installed or not on PATH: install git to use reconciler")
    return GitError(f"cannot run git in {cwd}: {exc}")


def _git_bytes(
    cwd: Path, args: Sequence[str], *, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            check=False,
            env=_environment(),
        )
    except OSError as exc:
        raise _cannot_start(cwd, exc) from exc


def _git(cwd: Path, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    raw = _git_bytes(cwd, args)
    return subprocess.CompletedProcess(
        raw.args,
        raw.returncode,
        raw.stdout.decode("utf-8", "replace"),
        raw.stderr.decode("utf-8", "replace"),
    )


def _first_line(text: str | bytes) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "no message"


def _existing_dir(path: Path) -> Path:
    path = path.resolve()
    while not path.is_dir():
        if path.parent == path:
            break
        path = path.parent
    return path


def repo_root(path: Path) -> Path:
    """The top-level directory of the git repository that contains ``path``."""
    cwd = _existing_dir(path)
    result = _git(cwd, ["rev-parse", "--show-toplevel"])
    if result.returncode != 0:
        raise GitError(
            f"{path} is not inside a git repository: run `git init` and commit the budgets "
            f"({_first_line(result.stderr)})"
        )
    return Path(result.stdout.strip()).resolve()


def head_commit(path: Path) -> str:
    """The full 40-hex SHA of HEAD; NoCommitError when the repository has no commit yet."""
    root = repo_root(path)
    result = _git(root, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])
    if result.returncode != 0:
        raise NoCommitError(f"repository {root} has no commit yet: commit the budgets first")
    return result.stdout.strip()


def check_full_history(path: Path) -> None:
    """ShallowCloneError when the repository is a shallow clone (DESIGN §6): adoption and drift
    are decided from history, and a shallow clone would make every team look newly managed."""
    root = repo_root(path)
    result = _git(root, ["rev-parse", "--is-shallow-repository"])
    if result.returncode != 0:
        raise GitError(f"git rev-parse failed in {root}: {_first_line(result.stderr)}")
    if result.stdout.strip() == "true":
        raise ShallowCloneError(
            f"{root} is a shallow clone: reconciler needs the full history to tell its own "
            "movements from drift; run `git fetch --unshallow` (CI: actions/checkout with "
            "fetch-depth: 0)"
        )


def _relative(root: Path, path: Path) -> str:
    try:
        rel = path.resolve().relative_to(root)
    except ValueError as exc:
        raise GitError(f"{path} is outside the repository {root}") from exc
    return rel.as_posix() or "."


def dirty_paths(budgets_dir: Path) -> list[str]:
    """Uncommitted or untracked files under ``budgets_dir``, relative to the repository root."""
    root = repo_root(budgets_dir)
    rel = _relative(root, budgets_dir)
    result = _git(root, ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--", rel])
    if result.returncode != 0:
        raise GitError(f"git status failed in {root}: {_first_line(result.stderr)}")
    paths: list[str] = []
    entries = iter(result.stdout.split("\0"))
    for entry in entries:
        if len(entry) < 4:
            continue
        status, name = entry[:2], entry[3:]
        paths.append(name)
        if "R" in status or "C" in status:
            next(entries, None)  # the rename/copy source follows as its own entry
    return sorted(set(paths))


def managed_since(budgets_dir: Path, team_ids: Iterable[str]) -> dict[str, datetime]:
    """Committer time (UTC) of the commit that first added each team's ``id:`` line to the branch.

    One ``git log --first-parent --reverse -p`` pass over the budgets directory: the first commit
    whose diff adds a top-level ``id: <team>`` line is where that Team document arrived (a merge
    counts at merge time). Teams not found in history (not committed yet) are absent. Only the
    files whose diff adds or removes an ``id:`` line are shown (``-G``), and git is stopped as
    soon as every team is found: the commits after the last one arrived (a year of envelope
    changes to thousands of files) are never diffed.
    """
    wanted = set(team_ids)
    if not wanted:
        return {}
    root = repo_root(budgets_dir)
    rel = _relative(root, budgets_dir)
    if _git(root, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]).returncode != 0:
        return {}
    found: dict[str, datetime] = {}
    when: datetime | None = None
    with _git_lines(root, [*_MANAGED_LOG, "--", rel], "git log") as lines:
        for line in lines:
            if line.startswith(_COMMIT_MARK):
                stamp = line[len(_COMMIT_MARK) :].split(" ", 1)[1]
                when = parse_utc(stamp)
                continue
            if not line.startswith("+id:"):  # what ``_ID_LINE`` starts with: most lines are not
                continue
            match = _ID_LINE.match(line)
            if match is None or when is None:
                continue
            team_id = match[1] or match[2] or match[3]
            if team_id in wanted and team_id not in found:
                found[team_id] = when
                if len(found) == len(wanted):
                    break  # git is stopped: the rest of history cannot change the answer
    return found


_MANAGED_LOG: Final = (
    "log",
    "--first-parent",
    "--reverse",
    "--no-renames",
    "--no-color",
    "--no-ext-diff",
    "--unified=0",
    "-p",
    "-G^id:",  # only the files whose diff adds or removes an ``id:`` line
    f"--format={_COMMIT_MARK}%H %cI",
)


@contextmanager
def _git_lines(cwd: Path, args: Sequence[str], what: str) -> Iterator[Iterator[str]]:
    """The lines of git's output (as ``str.splitlines`` of all of it would give them) while
    git is still writing: a caller that stops reading early stops git too (with ``--reverse``
    git diffs each commit only as it writes it). GitError when git fails."""
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(
                ["git", *args],
                cwd=cwd,
                stdout=subprocess.PIPE,
                stderr=errors,
                env=_environment(),
            )
        except OSError as exc:
            raise _cannot_start(cwd, exc) from exc
        assert process.stdout is not None
        lines = (
            line
            for chunk in process.stdout  # split at b"\n": never inside a UTF-8 character
            for line in chunk.decode("utf-8", "replace").splitlines()
        )
        finished = False
        try:
            yield lines
            finished = next(lines, None) is None
        finally:
            if not finished:
                process.kill()
            process.stdout.close()
            code = process.wait()
        if finished and code != 0:
            errors.seek(0)
            raise GitError(f"{what} failed in {cwd}: {_first_line(errors.read())}")


def resolve_revision(path: Path, rev: str) -> str:
    """The full SHA of ``rev`` (a branch, tag or SHA); GitError when it names no commit."""
    root = repo_root(path)
    if rev.startswith("-"):
        raise GitError(f"bad revision {rev!r}: pass a branch, tag or commit")
    result = _git(root, ["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"])
    if result.returncode != 0:
        raise GitError(f"{rev!r} is not a commit in {root}: fetch it (CI: fetch-depth: 0)")
    return result.stdout.strip()


def load_at(budgets_dir: Path, rev: str, *, memo: ParseMemo | None = None) -> DesiredState | None:
    """The budgets directory as it was at ``rev``, loaded (``config.load_files``: the same
    state and diagnostics as loading a checkout of it, naming the same paths); None when it
    did not exist there. Read in memory (``files_at``), with files already parsed this run
    (``memo``) not parsed again; a tree holding a symlink is unpacked and read from disk,
    where the symlink rules apply."""
    from reconciler.config import load, load_files

    root = repo_root(budgets_dir)
    rel = _relative(root, budgets_dir)
    sha = resolve_revision(root, rev)
    listed = files_at(root, sha, rel)
    if listed is None:
        return None
    if listed == SYMLINKED:
        with _unpacked(root, sha, rel) as tmp:
            return load(tmp / rel)[0]
    return load_files(budgets_dir, listed, memo=memo)[0]


SYMLINKED: Final = "symlinked"


def files_at(
    root: Path, sha: str, rel: str
) -> list[tuple[str, bytes]] | Literal["symlinked"] | None:
    """The budgets files under ``rel`` at commit ``sha`` (path under ``rel``, content): one
    ``git ls-tree -r`` and one ``git cat-file --batch``. None when ``rel`` was no directory
    there; ``SYMLINKED`` when a symlink is under it (its target decides what is read)."""
    from reconciler.config.blobs import counts

    listing = _git_bytes(root, ["ls-tree", "-r", "-z", "--full-tree", sha, "--", rel])
    if listing.returncode != 0:
        raise GitError(f"git ls-tree {sha[:7]} failed: {_first_line(listing.stderr)}")
    prefix = "" if rel == "." else rel + "/"
    wanted: list[tuple[str, str]] = []
    inside = False
    for record in listing.stdout.split(b"\0"):
        if not record:
            continue
        meta, _tab, raw_path = record.partition(b"\t")
        path = raw_path.decode("utf-8", "surrogateescape")
        if not path.startswith(prefix):
            return None  # ``rel`` is a file there, not a directory
        inside = True
        mode, kind, blob = meta.decode().split()
        if mode == "120000":
            return SYMLINKED
        if kind == "blob" and counts(path[len(prefix) :]):
            wanted.append((path[len(prefix) :], blob))
    if not inside:
        return None
    contents = cat_blobs(root, {blob for _name, blob in wanted})
    return [(name, contents[blob]) for name, blob in wanted]


def cat_blobs(root: Path, blobs: Iterable[str]) -> dict[str, bytes]:
    """The content of each blob, in one ``git cat-file --batch``."""
    names = sorted(set(blobs))
    if not names:
        return {}
    result = _git_bytes(root, ["cat-file", "--batch"], stdin="\n".join(names).encode() + b"\n")
    if result.returncode != 0:
        raise GitError(f"git cat-file failed in {root}: {_first_line(result.stderr)}")
    out, pos, found = result.stdout, 0, {}
    while pos < len(out):
        end = out.index(b"\n", pos)
        header = out[pos:end].decode().split()
        pos = end + 1
        if len(header) < 3 or header[1] == "missing":
            continue
        size = int(header[2])
        found[header[0]] = out[pos : pos + size]
        pos += size + 1
    missing = [name for name in names if name not in found]
    if missing:
        raise GitError(f"git cat-file: object {missing[0][:7]} is missing in {root}")
    return found


@contextmanager
def _unpacked(root: Path, sha: str, rel: str) -> Iterator[Path]:
    archive = _git_bytes(root, ["archive", "--format=tar", sha, "--", rel])
    if archive.returncode != 0:
        raise GitError(f"git archive {sha[:7]} failed: {_first_line(archive.stderr)}")
    with tempfile.TemporaryDirectory(prefix="reconciler-at-") as tmp:
        try:
            with tarfile.open(fileobj=io.BytesIO(archive.stdout), mode="r:") as tar:
                tar.extractall(tmp, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise GitError(f"cannot unpack the budgets at {sha[:7]}: {exc}") from exc
        yield Path(tmp)
