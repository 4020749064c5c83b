"""Run directories: where a training run keeps its checkpoints — a local path or a URI
(s3://, gs://, … through pyarrow.fs, as Ray Train does) shared by every node — plus the
fingerprint file that stops a resume from mixing two models' checkpoints. No Ray here.
"""

from __future__ import annotations

import json
import os

from synth.errors import ConfigError
from synth.training.checkpoints import fingerprint_differences

RUN_FILE = "latentsynth-run.json"  # fingerprint of the model a run dir belongs to
DEFAULT_STORAGE = "~/latentsynth-runs"


def split_run_dir(run_dir: str) -> tuple[str, str]:
    """A run's directory (path or URI) as Ray Train's (storage_path, name)."""
    run_dir = absolute(run_dir).rstrip("/")
    storage, _, name = run_dir.rpartition("/")
    if not name or not storage or storage.endswith(":/"):
        raise ConfigError(f"--run-dir must name a directory below a parent (e.g. runs/iris-vae), got {run_dir!r}")
    return storage, name


def upload_directory(local: str, destination: str) -> None:
    """Copy a local directory (an artifact) to a path or URI, e.g. next to the run's checkpoints."""
    import pyarrow.fs

    fs, path = _filesystem(absolute(destination))
    fs.create_dir(path, recursive=True)
    pyarrow.fs.copy_files(os.path.abspath(local), path, destination_filesystem=fs)


def absolute(path: str) -> str:
    return path if "://" in path else os.path.abspath(os.path.expanduser(path))


def _filesystem(path: str):
    import pyarrow.fs

    if "://" in path:
        return pyarrow.fs.FileSystem.from_uri(path)
    return pyarrow.fs.LocalFileSystem(), path


def prepare_run_dir(run_dir: str, fingerprint: dict, *, resume: bool) -> None:
    """Refuse to mix runs: a fresh run needs an empty dir, a resumed one its own fingerprint."""
    import pyarrow.fs

    fs, path = _filesystem(run_dir)
    entries = fs.get_file_info(pyarrow.fs.FileSelector(path, allow_not_found=True))
    marker = f"{path.rstrip('/')}/{RUN_FILE}"
    if not resume:
        if entries:
            raise ConfigError(
                f"{run_dir} already holds a training run; pass --resume (resume=True) to continue it, "
                "or choose another --run-dir"
            )
        fs.create_dir(path, recursive=True)
        with fs.open_output_stream(marker) as out:
            out.write(json.dumps(fingerprint, indent=2).encode())
        return
    if not entries:
        raise ConfigError(f"nothing to resume in {run_dir}: it does not exist or is empty; drop --resume to start")
    try:
        with fs.open_input_stream(marker) as src:
            stored = json.loads(src.read())
    except (FileNotFoundError, OSError, json.JSONDecodeError):
        raise ConfigError(
            f"{run_dir} is not a latentsynth run directory (no readable {RUN_FILE}); choose another --run-dir"
        ) from None
    wrong = fingerprint_differences(stored, fingerprint)
    if wrong:
        raise ConfigError(
            f"{run_dir} holds checkpoints of another model ({'; '.join(wrong)}); "
            "choose another --run-dir or train the same model"
        )
