"""An export folder that nnom shares with its user: never delete or overwrite a file nnom did not write.

Every export records what it wrote in MANIFEST (relative path -> sha256). A later export may
replace a file only if it still holds what nnom wrote (or exactly what it is about to write);
anything else is the user's and stops the export with its name, unless overwrite=True. Files
nnom writes once and then leaves to the user (the port header) are created only when missing.
A folder holding files but no manifest is not an export: refused unless overwrite=True, and
even then nnom deletes nothing in it. Files are written to a temporary name and renamed into
place, and concurrent exports into one folder take turns through a lock file.
"""
import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path, PurePosixPath

from ..errors import NnomError

MANIFEST = "nnom_export.json"
LOCK = ".nnom_export.lock"
_FORMAT = "nnom-export"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _safe_rel(rel) -> bool:
    """A manifest entry nnom may touch: a plain relative path inside the folder."""
    if not isinstance(rel, str) or not rel or "\\" in rel or "\0" in rel:
        return False
    p = PurePosixPath(rel)
    return not p.is_absolute() and all(part not in ("", ".", "..") for part in p.parts)


def _read_manifest(out: Path) -> tuple[dict, set] | None:
    """({path: sha256} nnom wrote, the paths among them that were runtime files), or None."""
    path = out / MANIFEST
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = data["files"]
        if data.get("format") != _FORMAT or not isinstance(files, dict):
            raise ValueError("not an nnom export manifest")
        # a hostile or damaged manifest must not make nnom touch anything outside the folder
        files = {rel: h for rel, h in files.items() if _safe_rel(rel) and isinstance(h, str)}
        runtime = data.get("runtime")          # manifests before it: the runtime was under nnom/
        runtime = ({r for r in files if r.startswith("nnom/")} if runtime is None
                   else {r for r in runtime if isinstance(r, str) and r in files})
        return files, runtime
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
        raise NnomError(f"{path}: damaged export manifest ({e}); delete it and export with "
                        "overwrite=True (nnom convert --force) to write into this folder again") from None


def _through_symlink(out: Path, rel: str) -> bool:
    """Whether writing rel would pass through a symbolic link inside the folder."""
    path = out
    for part in PurePosixPath(rel).parts[:-1]:
        path = path / part
        if path.is_symlink():
            return True
    return False


def _file_sha(path: Path) -> str | None:
    try:
        return _sha(path.read_bytes()) if path.is_file() and not path.is_symlink() else "not a file"
    except OSError:
        return "unreadable"


@contextlib.contextmanager
def _locked(out: Path):
    try:
        import fcntl
    except ImportError:                       # no flock (Windows): writes are still atomic
        yield
        return
    with open(out / LOCK, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _write_atomic(path: Path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_export(out_dir, files: dict[str, bytes], user_files: dict[str, bytes] = None,
                 overwrite: bool = False, runtime: set = frozenset()) -> Path:
    """Write files {relative path: bytes} into out_dir under the rules above; user_files are
    written only where missing and never recorded as nnom's. runtime: the paths among files that
    are the runtime's; one an earlier export wrote and this one does not is removed if unchanged
    (the model files of another export name in the same folder are kept)."""
    out = Path(out_dir)
    user_files = user_files or {}
    try:
        if out.exists() and not out.is_dir():
            raise NnomError(f"{out} exists and is not a folder; give export a folder path")
        out.mkdir(parents=True, exist_ok=True)
        with _locked(out):
            _write_locked(out, files, user_files, overwrite, set(runtime))
    except OSError as e:
        raise NnomError(f"cannot write the export into {out}: {e.strerror or e} "
                        f"({e.filename or out}); check the path and its permissions") from None
    return out


def _write_locked(out: Path, files, user_files, overwrite, runtime):
    old = _read_manifest(out)
    ours = {MANIFEST, LOCK}
    if old is None and not overwrite:
        present = sorted(p.name for p in out.iterdir() if p.name not in ours)
        if present:
            raise NnomError(f"{out} is not empty and holds no earlier nnom export ({', '.join(present[:5])}"
                            f"{', ...' if len(present) > 5 else ''}); export into an empty or new folder, "
                            "or pass overwrite=True (nnom convert --force) to write beside these files")
    old, old_runtime = old or ({}, set())
    linked = [rel for rel in files if _through_symlink(out, rel)]
    if linked:
        raise NnomError(f"{out}: a folder on the way to {linked[0]} is a symbolic link; nnom writes only "
                        "inside the export folder: remove the link or export elsewhere")
    if not overwrite:
        changed = [rel for rel, data in files.items()
                   if (out / rel).exists() and _file_sha(out / rel) not in (old.get(rel), _sha(data))]
        if changed:
            raise NnomError(f"{out}: these files were changed or not written by nnom, and export would "
                            f"replace them: {', '.join(sorted(changed)[:8])}; move your changes (port "
                            "settings go in nnom/include/nnom_user_port.h, which export never touches) or "
                            "pass overwrite=True (nnom convert --force)")
    for rel, data in files.items():
        path = out / rel
        if _file_sha(path) != _sha(data):
            _write_atomic(path, data)
    for rel, data in user_files.items():
        if not (out / rel).exists():
            _write_atomic(out / rel, data)
    # runtime files an earlier export wrote and this one does not: removed if still unchanged
    stale = [rel for rel in old_runtime if rel not in files and _file_sha(out / rel) == old[rel]]
    for rel in stale:
        (out / rel).unlink()
    manifest = {rel: h for rel, h in old.items() if rel not in stale and (out / rel).exists()}
    manifest.update({rel: _sha(data) for rel, data in files.items()})
    runtime |= {rel for rel in old_runtime if rel in manifest and rel not in files}   # changed by the user
    _write_atomic(out / MANIFEST, json.dumps({"format": _FORMAT, "files": dict(sorted(manifest.items())),
                                              "runtime": sorted(runtime)}, indent=1).encode())
