"""An upload handler that streams the import file straight into ``PRIVATE_TMP_DIR`` (SEC-RI-2).

Django's default handlers keep small uploads in memory and spill large ones to the system temp
directory; this one writes to the private area from the first byte, hashes as it goes, and stops
writing at ``IMPORT_MAX_FILE_BYTES`` (the batch then reports the size). Views install it only after the
user is known to be allowed to import, so anonymous requests never reach the disk.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

from . import safety
from .safety import StoredFile

FIELD = "file"


class PrivateUploadedFile(UploadedFile):
    def __init__(self, stored: StoredFile, name: str, content_type: str, charset: str | None):
        path = safety.private_path(stored.name)
        super().__init__(open(path, "rb"), name, content_type, stored.size, charset)
        self.stored = stored
        self.claimed = False  # set once a batch owns the file; unclaimed files are deleted by the view

    def temporary_file_path(self) -> str:
        return str(safety.private_path(self.stored.name))


class PrivateUploadHandler(FileUploadHandler):
    def __init__(self, request: Any = None):
        super().__init__(request)
        self.fd: int | None = None
        self.stored_name = ""

    def new_file(self, field_name, file_name, content_type, content_length, charset=None, content_type_extra=None):
        if field_name != FIELD:
            raise SkipFile()
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        self.sha = hashlib.sha256()
        self.size = 0
        self.limit = settings.IMPORT_MAX_FILE_BYTES
        self.stored_name = safety.new_private_name()
        self.fd = safety.open_private(self.stored_name)

    def receive_data_chunk(self, raw_data, start):
        self.size += len(raw_data)
        self.sha.update(raw_data)
        if self.fd is not None and self.size <= self.limit:
            os.write(self.fd, raw_data)
        return None

    def file_complete(self, file_size):
        if self.fd is None:
            return None
        os.close(self.fd)
        self.fd = None
        stored = StoredFile(name=self.stored_name, size=self.size, sha256=self.sha.hexdigest(),
                            too_big=self.size > self.limit)
        return PrivateUploadedFile(stored, self.file_name or "", self.content_type or "", self.charset)

    def upload_interrupted(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        safety.delete_private(self.stored_name)


def install(request: Any) -> None:
    """Use only the private handler for this request; a no-op once installed or once the body was read."""
    if hasattr(request, "_files"):
        return
    if any(isinstance(h, PrivateUploadHandler) for h in request.upload_handlers):
        return
    request.upload_handlers = [PrivateUploadHandler(request)]


def discard_unclaimed(request: Any) -> None:
    """Delete private files a request stored but no batch took (invalid form, CSRF failure, errors)."""
    files = getattr(request, "_files", None)
    if not files:
        return
    for _field, items in files.lists():
        for f in items:
            if isinstance(f, PrivateUploadedFile) and not f.claimed:
                f.close()
                safety.delete_private(f.stored.name)
