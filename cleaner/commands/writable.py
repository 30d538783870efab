"""Can a command write where it will write? Asked before it does what cannot be undone (apply deletes)
or what takes long (scan), so a run that could not record its outcome never starts."""

from __future__ import annotations

import tempfile
from pathlib import Path

from cleaner.exit_codes import BadInputError


def check_writable_folder(folder: Path, label: str, *, create: bool = True) -> None:
    """Prove a file can be created (and removed) in `folder`; with `create`, make the folder first,
    otherwise (nothing may be left behind) prove it in the nearest folder that exists.

    Permission bits are not trusted: root ignores them and some filesystems refuse writes anyway, so
    the check writes a file. BadInputError names `label` and the folder otherwise."""
    where = f"{label} {folder}"
    existing = next((path for path in (folder, *folder.parents) if path.exists()), None)
    if existing is not None and not existing.is_dir():
        what = "not a folder" if existing == folder else f"{existing} is not a folder"
        raise BadInputError(f"{where}: {what} (a file is in the way)")
    probed = folder
    if create:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise BadInputError(f"{where}: cannot create the folder: {error.strerror or error}") from error
    elif existing is not None:
        probed = existing
    try:
        with tempfile.NamedTemporaryFile(dir=probed, prefix=".snapstart-cleaner-probe-"):
            pass
    except OSError as error:
        inside = "" if probed == folder else f" (in {probed})"
        raise BadInputError(f"{where}: cannot write there{inside}: {error.strerror or error}") from error


def check_appendable_file(path: Path, label: str) -> None:
    """Prove `path` can be appended to (creating it if missing, as GitHub's runner would have)."""
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as error:
        raise BadInputError(f"{label} {path}: cannot append to it: {error.strerror or error}") from error
