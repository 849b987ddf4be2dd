"""Reading a layer stream: detect compression, decompress (inline, in a thread, or by a gzip
process) and hash both the compressed and the uncompressed bytes on the way."""

from __future__ import annotations

import fcntl
import hashlib
import os
import queue
import threading
import zlib
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from kubelite.runtime.layers.common import CHUNK, F_SETPIPE_SZ, GZIP_BIN, GZIP_MAGIC, ZSTD_MAGIC, LayerFormatError

# ---------------------------------------------------------------------------------------------------
# Reading: a decompressing, hashing reader thread feeding the tar parser.


class Decoder:
    """Reads ``src``, hashes it, decompresses (gzip, multi-member) and hashes the output."""

    def __init__(self, src: BinaryIO, first: bytes, compression: str) -> None:
        self.src = src
        self.first = first
        self.compression = compression
        self.digest = hashlib.sha256()
        self.diff = hashlib.sha256()
        self.compressed_size = 0
        self.size = 0

    def chunks(self) -> Iterator[bytes]:
        """The uncompressed stream, in chunks; raises :class:`LayerFormatError` on bad gzip."""
        try:
            yield from self._chunks()
        except zlib.error as err:
            raise LayerFormatError(f"layer is not valid gzip data: {err}") from None

    def _out(self, data: bytes) -> bytes:
        self.diff.update(data)
        self.size += len(data)
        return data

    def _chunks(self) -> Iterator[bytes]:
        dec = zlib.decompressobj(31) if self.compression == "gzip" else None
        in_member = False
        chunk = self.first
        while chunk:
            self.digest.update(chunk)
            self.compressed_size += len(chunk)
            if dec is None:
                yield self._out(chunk)
                chunk = self.src.read(CHUNK)
                continue
            data = chunk
            while data:
                in_member = True
                out = dec.decompress(data)
                if out:
                    yield self._out(out)
                data = b""
                if dec.eof:  # another gzip member may follow (pigz, concatenated streams)
                    in_member = False
                    data = dec.unused_data
                    dec = zlib.decompressobj(31)
                    if data and not data.startswith(GZIP_MAGIC[:len(data)]):
                        data = b""  # trailing garbage after the last member is ignored, as gzip does
            chunk = self.src.read(CHUNK)
        if in_member:
            raise LayerFormatError("layer is truncated: the gzip stream ends early")


class GzipPipe:
    """Decompression in a ``gzip -dc`` process, on the other core, as GNU tar does.

    A feeder thread reads ``src``, hashes it (the compressed digest) and writes it to gzip; the
    caller reads, hashes (the diff id) and parses the output. The thread spends its time in syscalls
    and in sha256 over 1 MiB buffers, both of which release the GIL, so it does not slow the parser.
    """

    def __init__(self, decoder: Decoder, gzip_path: str) -> None:
        import subprocess

        self.decoder = decoder
        self.proc = subprocess.Popen([gzip_path, "-dc"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, bufsize=0)
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:  # 1 MiB pipes: fewer wake-ups on both sides than the default 64 KiB
                fcntl.fcntl(pipe.fileno(), F_SETPIPE_SZ, CHUNK)  # type: ignore[union-attr]
            except OSError:
                pass
        self.feed_error: BaseException | None = None
        self.thread = threading.Thread(target=self._feed, name="layer-gzip-feed", daemon=True)
        self.thread.start()

    def _feed(self) -> None:
        d = self.decoder
        stdin = self.proc.stdin
        assert stdin is not None
        try:
            chunk = d.first
            while chunk:
                d.digest.update(chunk)
                d.compressed_size += len(chunk)
                stdin.write(chunk)
                chunk = d.src.read(CHUNK)
        except BrokenPipeError:
            pass  # gzip stopped early (bad data, or the reader gave up): its exit status tells
        except BaseException as err:
            self.feed_error = err
        finally:
            try:
                stdin.close()
            except BrokenPipeError:
                pass

    def chunks(self) -> Iterator[bytes]:
        stdout = self.proc.stdout
        assert stdout is not None
        while data := stdout.read(CHUNK):  # unbuffered: whatever the pipe holds, up to 1 MiB
            yield self.decoder._out(data)
        self.thread.join()
        err = self.proc.stderr.read().decode(errors="replace").strip() if self.proc.stderr else ""
        code = self.proc.wait()
        if self.feed_error is not None:
            raise self.feed_error
        if code not in (0, 2):  # 2 is gzip's warning status (e.g. trailing garbage ignored)
            if "unexpected end of file" in err:
                raise LayerFormatError("layer is truncated: the gzip stream ends early")
            detail = err.splitlines()[-1].removeprefix("gzip: stdin: ") if err else f"exit {code}"
            raise LayerFormatError(f"layer is not valid gzip data: {detail}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.thread.join()
        self.proc.wait()
        for f in (self.proc.stdout, self.proc.stderr):
            if f is not None:
                f.close()


class ThreadedChunks:
    """Runs a chunk iterator in a thread, handing chunks over a bounded queue."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.source = chunks
        self.out: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=16)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="layer-decompress", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for chunk in self.source:
                while not self.stop.is_set():
                    try:
                        self.out.put(chunk, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if self.stop.is_set():
                    return
            self.out.put(None)
        except BaseException as err:
            self.out.put(err)

    def __iter__(self) -> Iterator[bytes]:
        while True:
            item = self.out.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self.stop.set()
        self.thread.join()


class ChunkReader:
    """A minimal readable file over an iterator of chunks, for ``tarfile`` in stream mode."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.it = iter(chunks)
        self.buf = b""
        self.pos = 0
        self.eof = False

    def _fill(self) -> bool:
        if self.eof:
            return False
        item = next(self.it, None)
        if item is None:
            self.eof = True
            return False
        self.buf = self.buf[self.pos:] + item if self.pos < len(self.buf) else item
        self.pos = 0
        return True

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            parts = [self.buf[self.pos:]]
            self.buf, self.pos = b"", 0
            while self._fill():
                parts.append(self.buf)
                self.buf = b""
            return b"".join(parts)
        while len(self.buf) - self.pos < n and self._fill():
            pass
        out = self.buf[self.pos:self.pos + n]
        self.pos += len(out)
        return out

    def drain(self) -> None:
        while self._fill():
            self.buf, self.pos = b"", 0


def gzip_binary() -> str | None:
    import shutil

    return shutil.which("gzip") or (GZIP_BIN if os.path.exists(GZIP_BIN) else None)


def detect_compression(first: bytes) -> str:
    if first.startswith(GZIP_MAGIC):
        return "gzip"
    if first.startswith(ZSTD_MAGIC):
        return "zstd"
    return ""
