"""Export files: written under a temporary name, hashed as they are written, renamed into place when complete,
so a reader (a download, a second worker, a crash) never sees half a file."""
from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO


class Hashing:
    """A binary stream that hashes and counts what passes through it to ``out``."""

    def __init__(self, out: BinaryIO):
        self.out, self.size, self._sha = out, 0, hashlib.sha256()

    def write(self, data: bytes) -> int:
        self._sha.update(data)
        self.size += len(data)
        return self.out.write(data)

    def flush(self) -> None:
        self.out.flush()

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()


@dataclass(frozen=True)
class Written:
    path: Path
    sha256: str
    size: int


def write_atomically(path: Path, produce: Callable[[BinaryIO], None]) -> Written:
    """``produce(stream)`` into ``path``: complete and fsynced, or not there at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        with open(partial, "wb") as raw:
            hashing = Hashing(raw)
            produce(hashing)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return Written(path, hashing.sha256, hashing.size)
