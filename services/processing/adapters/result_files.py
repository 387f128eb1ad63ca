"""The result file's upload: the stream the store reads, refused (415) before anything
is stored unless its first bytes say PDF (policies.RESULT_MAGIC)."""

from __future__ import annotations

from services.processing.domain import errors, policies
from shared.files import Readable


class PdfOnly:
    """A readable stream (read(n) -> bytes) that checks the first bytes of `source`
    before handing any out: ResultNotPdf unless they are a PDF's."""

    def __init__(self, source: Readable) -> None:
        self.source, self.head, self.checked = source, b"", False

    def read(self, size: int = -1, /) -> bytes:
        if self.checked:
            return self.source.read(size)
        while len(self.head) < len(policies.RESULT_MAGIC):
            chunk = self.source.read(max(size, len(policies.RESULT_MAGIC)) if size >= 0 else -1)
            if not chunk:
                break
            self.head += chunk
        if not self.head.startswith(policies.RESULT_MAGIC):
            raise errors.ResultNotPdf("Tệp kết quả phải là tệp PDF", {"file": ["Chỉ nhận tệp PDF"]})
        self.checked = True
        head, self.head = self.head, b""
        return head
