"""The pages' side of a dossier's files, framework-free: what a chosen file is (its
type told by its first bytes, as intake tells it), the checks made before a file is
sent on, the words for intake's refusals, the document choices, sizes in words and
how a file is handed to the browser (shown in the page, or downloaded)."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable, Mapping
from typing import Any

from shared.files import sniff

MB = 1024 * 1024
MAX_FILE_BYTES = 20 * MB  # intake's limit of one file (policies.MAX_FILE_BYTES)
MAX_FILES = 3  # files of one upload form (the page's limit is MAX_FILES * MAX_FILE_BYTES and the form)
MAX_FORM_BYTES = MAX_FILES * MAX_FILE_BYTES + MB
ACCEPT = "application/pdf,image/jpeg,image/png"
OTHER_DOCUMENT = "Giấy tờ khác"  # intake's name for a paper no list names
TYPE_WORDS = {"application/pdf": "PDF", "image/jpeg": "Ảnh JPEG", "image/png": "Ảnh PNG"}

# intake's refusals of an upload, said beside the file field
REFUSAL_WORDS = {
    413: "Tệp quá lớn: mỗi tệp tối đa 20 MB, cả hồ sơ tối đa 100 MB",
    415: "Tệp không phải PDF, JPEG hoặc PNG (hệ thống kiểm tra nội dung tệp, không theo tên tệp)",
    403: "Bạn không được đính kèm tệp vào hồ sơ này",
    404: "Không tìm thấy hồ sơ để đính kèm tệp",
    409: "Hồ sơ ở trạng thái này không nhận thêm giấy tờ",
}


def media_type(data: bytes) -> str | None:
    """The type the content says (PDF, JPEG, PNG), never the name; None for any other."""
    return sniff(data[:16])


def declared_type(name: str, data: bytes) -> str:
    """The type sent with the file: what the content says, else what the name says."""
    return media_type(data) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def check(name: str, data: bytes) -> str | None:
    """Why a chosen file cannot go (None when it can): checked before anything is sent,
    with the same rules as intake (which checks again)."""
    if not data:
        return f"{name}: tệp rỗng"
    if len(data) > MAX_FILE_BYTES:
        return f"{name}: {REFUSAL_WORDS[413]}"
    if media_type(data) is None:
        return f"{name}: {REFUSAL_WORDS[415]}"
    return None


def refusal(name: str, status: int, message: str) -> str:
    """Intake's refusal of one file, for the person (its own message when it is one a
    person can act on)."""
    if status in (400, 409, 413, 422) and message:
        return f"{name}: {message}"
    return f"{name}: {REFUSAL_WORDS.get(status, message or 'Không gửi được tệp')}"


def document_choices(*lists: Iterable[str]) -> list[str]:
    """The documents a file may be (the procedure's, the dossier's, ...), each once, in
    order, then "Giấy tờ khác"."""
    seen: list[str] = []
    for names in lists:
        for name in names:
            if name and name not in seen and name != OTHER_DOCUMENT:
                seen.append(name)
    return [*seen, OTHER_DOCUMENT]


def size_words(size: int | None) -> str:
    """1 234 567 -> "1,2 MB" (Vietnamese decimal comma)."""
    if size is None:
        return ""
    if size < 1024:
        return f"{size} B"
    if size < MB:
        return f"{size / 1024:.0f} KB"
    return f"{size / MB:.1f} MB".replace(".", ",")


def type_words(media: str | None) -> str:
    return TYPE_WORDS.get(media or "", media or "")


def previews(files: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The dossier's files with how each is shown: `image` (<img>), `pdf` (a frame) or
    nothing (a link only)."""
    shown = []
    for item in files:
        media = str(item.get("type") or "")
        kind = "image" if media.startswith("image/") else "pdf" if media == "application/pdf" else None
        shown.append({**item, "preview": kind})
    return shown


def disposition(header: str | None, download: bool) -> str:
    """The Content-Disposition the browser gets: `attachment` to download, `inline` to
    show the file in the page (an <img>, a frame), the file's name kept."""
    header = header or "attachment"
    kind, _, rest = header.partition(";")
    wanted = "attachment" if download else "inline"
    return wanted + (";" + rest if rest else "")
