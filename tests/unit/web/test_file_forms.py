"""The pages' file rules without servers: the type told by the content, the checks
before sending, intake's refusals in words, the document choices, sizes, previews and
the Content-Disposition handed to the browser."""

from services.web import file_forms as ff

PDF = b"%PDF-1.7\n%\xe2\xe3\n1 0 obj"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF"
EXE = b"MZ\x90\x00\x03\x00\x00\x00"


def test_the_type_is_told_by_the_content_never_the_name():
    assert ff.media_type(PDF) == "application/pdf"
    assert ff.media_type(PNG) == "image/png" and ff.media_type(JPEG) == "image/jpeg"
    assert ff.media_type(EXE) is None
    assert ff.declared_type("hoa-don.pdf", PNG) == "image/png"
    assert ff.declared_type("setup.exe", EXE) in ("application/octet-stream", "application/x-msdos-program")


def test_a_file_is_checked_before_it_is_sent():
    assert ff.check("a.pdf", PDF) is None
    assert "không phải PDF, JPEG hoặc PNG" in ff.check("hoa-don.pdf", EXE)
    assert ff.check("rong.pdf", b"").endswith("tệp rỗng")
    big = PDF + b"\x00" * ff.MAX_FILE_BYTES
    assert "20 MB" in ff.check("lon.pdf", big)
    assert ff.check("vua.pdf", PDF + b"\x00" * (ff.MAX_FILE_BYTES - len(PDF))) is None


def test_intakes_refusals_in_words():
    assert ff.refusal("a.pdf", 409, "Hồ sơ đã rút, không nhận thêm giấy tờ") == (
        "a.pdf: Hồ sơ đã rút, không nhận thêm giấy tờ"
    )
    assert "không phải PDF" in ff.refusal("a.pdf", 415, "unsupported")
    assert ff.refusal("a.pdf", 403, "other_agency") == "a.pdf: " + ff.REFUSAL_WORDS[403]
    assert ff.refusal("a.pdf", 418, "") == "a.pdf: Không gửi được tệp"


def test_document_choices_are_each_once_then_other_papers():
    assert ff.document_choices(["Tờ khai", "Bản sao"], ["Tờ khai", "", "Giấy tờ khác", "Ảnh"]) == [
        "Tờ khai",
        "Bản sao",
        "Ảnh",
        "Giấy tờ khác",
    ]
    assert ff.document_choices() == ["Giấy tờ khác"]


def test_sizes_types_and_previews_in_words():
    assert ff.size_words(512) == "512 B" and ff.size_words(3 * 1024) == "3 KB"
    assert ff.size_words(int(1.25 * ff.MB)) == "1,2 MB" and ff.size_words(None) == ""
    assert ff.type_words("application/pdf") == "PDF" and ff.type_words("image/png") == "Ảnh PNG"
    shown = ff.previews([{"id": "1", "type": "image/jpeg"}, {"id": "2", "type": "application/pdf"}, {"id": "3"}])
    assert [f["preview"] for f in shown] == ["image", "pdf", None] and shown[0]["id"] == "1"


def test_the_disposition_shows_or_downloads_keeping_the_name():
    sent = "attachment; filename=\"to khai.pdf\"; filename*=UTF-8''t%E1%BB%9D%20khai.pdf"
    assert ff.disposition(sent, download=False) == sent.replace("attachment", "inline", 1)
    assert ff.disposition(sent, download=True) == sent
    assert ff.disposition(None, download=False) == "inline"
