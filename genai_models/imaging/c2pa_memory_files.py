"""Memory files that c2pa's Rust library reads and writes without calling back into Python.

c2pa-python gives the library a stream whose read, seek, write and flush are Python functions.
Signing one small PNG calls them some hundreds of times, and each call must take the GIL back
(in the bot, from the event loop's thread, which is busy with other replies) and give it up
again; together they cost more CPU than the system calls that replace them. Here the stream's
callbacks are the C library's own read, lseek, write and fsync, and its context pointer carries
a file descriptor instead of an address: a memory file (memfd) holds the image and the signed
copy, and the whole signature runs in Rust with the GIL released.

Why the C functions fit the callbacks' types (`intptr_t f(void *context, ...)`): on the 64-bit
ABIs Linux runs on, an int argument is the low half of the register the pointer arrives in,
and an int result (fsync's, always 0 for a memory file) is zero-extended by the callee.

This reaches below c2pa-python's public API (its `_lib` and `Builder._sign_internal`), which is
why pyproject keeps c2pa-python to one minor version; the signing tests run it every time.
Linux only (memfd, 64-bit): `AVAILABLE` says whether this process can use it.
"""

from __future__ import annotations

import ctypes
import os
import sys
from typing import Any

AVAILABLE = hasattr(os, "memfd_create") and sys.maxsize > 2**32


class _Callbacks:
    """libc's read, lseek, write and fsync, typed as c2pa's stream callbacks (made once)."""

    def __init__(self) -> None:
        from c2pa import c2pa as binding

        libc = ctypes.CDLL(None)

        def address(function: Any) -> int:
            return ctypes.cast(function, ctypes.c_void_p).value

        self.binding = binding
        self.read = binding.ReadCallback(address(libc.read))
        self.seek = binding.SeekCallback(address(libc.lseek))
        self.write = binding.WriteCallback(address(libc.write))
        self.flush = binding.FlushCallback(address(libc.fsync))


_callbacks: _Callbacks | None = None


class MemoryFile:
    """An anonymous memory file and the c2pa stream over it; `_stream` is what c2pa's
    `Builder._sign_internal` takes."""

    def __init__(self, data: bytes = b"") -> None:
        global _callbacks
        if _callbacks is None:
            _callbacks = _Callbacks()
        self._callbacks = _callbacks
        self.fd = os.memfd_create("c2pa", os.MFD_CLOEXEC)
        self._stream = None
        try:
            if data:
                os.write(self.fd, data)  # a memory file takes a write whole
                os.lseek(self.fd, 0, os.SEEK_SET)
            binding = _callbacks.binding
            context = ctypes.cast(ctypes.c_void_p(self.fd), ctypes.POINTER(binding.StreamContext))
            self._stream = binding._lib.c2pa_create_stream(
                context, _callbacks.read, _callbacks.seek, _callbacks.write, _callbacks.flush
            )
            if not self._stream:
                raise OSError("c2pa could not make a stream over a memory file")
        except BaseException:
            self.close()
            raise

    def getvalue(self) -> bytes:
        return os.pread(self.fd, os.fstat(self.fd).st_size, 0)

    def close(self) -> None:
        if self._stream:
            self._callbacks.binding._lib.c2pa_release_stream(self._stream)
            self._stream = None
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> MemoryFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
