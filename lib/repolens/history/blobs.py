"""What one blob holds, analysed once: the scan's own reading, sniffing, notebook
reading and counting (``analyse_files``), fed with blob contents written to a
temporary folder under the names the blobs have in the tree.

A blob's facts depend on its content and on the name it is read under (the
extension decides the language, a folder rule the category), so they are kept by
``blob_key``: object id, the folder rule's category and the file name. The facts
of every blob analysed are cached per repository, so a run after one new commit
reads only that commit's new blobs.

A blob git does not have or cannot read (a clone missing an old object, a corrupt
pack) is not analysed: ``analyse_blobs`` gives it facts of its own (``unreadable``,
no bytes, no lines), kept apart from the cache, and says which blob and why.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from .._version import __version__
from ..core import safeio
from ..core.atomic import atomic_write
from ..core.records import FileRecord, State, display_path
from ..scanning.build import file_fields
from ..scanning.chunks import analyse_files
from ..scanning.counting import engine_version
from ..scanning.filetypes import CATEGORIES, file_types
from ..scanning.sniff import SNIFF_BYTES, sniff
from .git import LINK_MODE, Blob, BlobCut, BlobReader, Unreadable

__all__ = ["MAX_CACHE_BYTES", "BlobCache", "BlobFacts", "Unread", "analyse_blobs", "blob_key"]

WINDOW = 4096  # blobs gathered before they are read
_BATCH_BYTES = 32 << 20  # content written out at once, at most (and one blob more)
FORMAT = "repolens-history-cache"
FORMAT_VERSION = 1
MAX_CACHE_BYTES = 1 << 30  # a cache file larger than this is not read
LFS_STATE = "lfs_pointer"
_LFS = re.compile(
    rb"version https://git-lfs\.github\.com/spec/v1\n(?:[a-z0-9.-]+ [^\n]*\n)*?size (\d{1,19})\n"
)

_Count = Annotated[int, msgspec.Meta(ge=0)]
_Category = Literal[tuple(CATEGORIES)]  # type: ignore[valid-type]
_State = Literal[tuple([*(state.value for state in State), LFS_STATE])]  # type: ignore[misc]


class BlobFacts(msgspec.Struct, array_like=True, frozen=True):
    """What a blob counts for in a tree: ``size`` is the bytes it stands for (an LFS
    pointer: the size of the object it points to); lines are 0 where not counted;
    ``notebook`` is (cells, outputs' bytes, cells with errors) for a notebook."""

    category: _Category
    language: str | None
    state: _State
    size: _Count
    code: _Count = 0
    comment: _Count = 0
    blank: _Count = 0
    notebook: tuple[_Count, _Count, _Count] | None = None


def blob_key(oid: str, mode: str, path: str) -> bytes:
    """The key a blob's facts are kept under: what decides them besides the content."""
    rule = file_types().name_rule(display_path(path)[0])
    kind = "l" if mode == LINK_MODE else "f"
    name = path.rsplit("/", 1)[-1]
    return f"{oid}\0{kind}{rule[0] if rule else ''}\0".encode() + os.fsencode(name)


def _facts(record: FileRecord) -> BlobFacts:
    counts = record.counts
    stats = record.notebook
    return BlobFacts(
        record.category,
        record.language,
        record.state.value,
        record.size_bytes,
        *((counts.code, counts.comment, counts.blank) if counts is not None else (0, 0, 0)),
        notebook=None if stats is None else (stats.cells, stats.output_bytes, stats.error_cells),
    )


def _write(disk: str, blob: Blob) -> int:
    """The blob as a file of its size, streamed; binary content past its head is left a
    hole (the scan reads no further than the head of a binary file). Returns the bytes
    written; ``BlobCut`` (and no file) when git stops in the middle of it."""
    with open(disk, "wb") as handle:
        handle.write(blob.head)
        if blob.size > len(blob.head) and sniff(blob.head).is_binary:
            handle.truncate(blob.size)
            return len(blob.head)
        try:
            return len(blob.head) + blob.copy_rest(handle)
        except BlobCut:
            handle.close()
            os.unlink(disk)
            raise


@dataclass(frozen=True, slots=True)
class Wanted:
    key: bytes
    oid: str
    mode: str
    path: str  # in the tree, relative to the history's folder


@dataclass(frozen=True, slots=True)
class Unread:
    """A blob that could not be read: what it counts for in a tree, and why."""

    facts: BlobFacts
    problem: str  # "missing", "corrupt" or "not a blob"
    detail: str


def _category(path: str) -> str:
    """A file's category by its name alone (its content is not read)."""
    shown = display_path(path)[0]
    table = file_types()
    return table.classify(shown, table.extension(shown.rsplit("/", 1)[-1])) or "other"


def _unread(item: Wanted, problem: str, detail: str) -> Unread:
    """A file whose blob cannot be read counts in its category, with no bytes."""
    facts = BlobFacts(_category(item.path), None, State.UNREADABLE.value, 0)
    return Unread(facts, problem, detail)


def _scratch() -> str | None:
    """Where blobs are written out: memory (``/dev/shm``) when it has room, else the
    temporary folder ($TMPDIR)."""
    try:
        st = os.statvfs("/dev/shm")
    except OSError:
        return None
    room = st.f_bavail * st.f_frsize
    return "/dev/shm" if room >= 4 * _BATCH_BYTES and os.access("/dev/shm", os.W_OK) else None


def analyse_blobs(
    reader: BlobReader, wanted: list[Wanted], limit: int
) -> tuple[dict[bytes, BlobFacts], dict[bytes, Unread]]:
    """The facts of each blob wanted, read through ``reader``, and the blobs that could
    not be read. Blobs are written out and analysed in batches of up to
    ``_BATCH_BYTES``; the k-th blob of one name in a batch goes into folder k, so every
    file keeps its own name (the engine reads it)."""
    found: dict[bytes, BlobFacts] = {}
    unread: dict[bytes, Unread] = {}
    with tempfile.TemporaryDirectory(prefix="repolens-history-", dir=_scratch()) as folder:
        files: list[tuple[str, dict[str, object]]] = []
        keys: list[bytes] = []
        names: dict[str, int] = {}  # how many blobs of each name the batch holds
        made = [0]  # folders made for the batch

        def analyse() -> None:
            for key, record in zip(keys, analyse_files(files, limit), strict=True):
                found[key] = _facts(record)
            for slot in range(made[0]):
                shutil.rmtree(os.path.join(folder, str(slot)))
            files.clear()
            keys.clear()
            names.clear()
            made[0] = 0

        written = 0
        blobs = reader.read_all([item.oid for item in wanted], SNIFF_BYTES)
        # The reader first: it finishes each blob (the rest skipped, the separator read)
        # when asked for the next, so the last one too is read to its end.
        for blob, item in zip(blobs, wanted, strict=True):
            if isinstance(blob, Unreadable):
                unread[item.key] = _unread(item, blob.problem, blob.detail)
                continue
            if item.mode == LINK_MODE:
                found[item.key] = BlobFacts("other", None, State.SYMLINK.value, blob.size)
                continue
            content = blob.head
            pointer = (
                _LFS.match(content)
                if blob.size < 1024 and content.startswith(b"version https://git")
                else None
            )
            if pointer is not None:
                size = int(pointer.group(1))
                found[item.key] = BlobFacts(_category(item.path), None, LFS_STATE, size)
                continue
            name = item.path.rsplit("/", 1)[-1]
            slot = names.get(name, 0)
            names[name] = slot + 1
            directory = os.path.join(folder, str(slot))
            if slot == made[0]:
                os.mkdir(directory)
                made[0] += 1
            disk = os.path.join(directory, name)
            try:
                written += _write(disk, blob)
            except BlobCut as error:
                unread[item.key] = _unread(item, "corrupt", str(error))
                continue
            files.append((disk, file_fields(item.path, blob.size)))
            keys.append(item.key)
            if written >= _BATCH_BYTES:
                analyse()
                written = 0
        if files:
            analyse()
    return found, unread


class _CacheFile(msgspec.Struct):
    format: str
    version: int
    identity: dict[str, str | int]
    blobs: dict[bytes, BlobFacts]


class BlobCache:
    """Blob facts kept between runs: one file per repository under the cache folder.
    A file that does not decode, or was written by another version, engine or file-type
    table, is not used (the run analyses every blob and rewrites it); never fatal."""

    def __init__(self, folder: Path | None, git_dir: str, limit: int) -> None:
        self.identity: dict[str, str | int] = {
            "repolens": __version__,
            "engine": engine_version(),
            "table": file_types().digest,
            "max_count_bytes": limit,
        }
        self.blobs: dict[bytes, BlobFacts] = {}
        self.path: Path | None = None
        self.problem: str | None = None
        self._added = 0
        if folder is None:
            return
        name = hashlib.sha256(os.fsencode(os.path.realpath(git_dir))).hexdigest()[:24]
        self.path = folder / f"history-{name}.msgpack"
        try:
            data = safeio.read_small_file(str(self.path), MAX_CACHE_BYTES)
        except FileNotFoundError:
            return
        except OSError as error:
            self.problem = f"the history cache could not be read ({error.strerror}): not used"
            return
        try:
            kept = msgspec.msgpack.decode(data, type=_CacheFile)
        except msgspec.DecodeError:
            self.problem = "the history cache did not decode: rebuilt"
            return
        if (kept.format, kept.version, kept.identity) == (FORMAT, FORMAT_VERSION, self.identity):
            self.blobs = kept.blobs

    def add(self, found: dict[bytes, BlobFacts]) -> None:
        self.blobs.update(found)
        self._added += len(found)

    def save(self) -> None:
        """Write the cache when it gained blobs; a failure is a note, not an error."""
        if self.path is None or not self._added:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_write(self.path, "wb") as handle:
                handle.write(
                    msgspec.msgpack.encode(
                        _CacheFile(FORMAT, FORMAT_VERSION, self.identity, self.blobs)
                    )
                )
        except OSError as error:
            self.problem = f"the history cache could not be saved ({error.strerror or error})"
