"""A dossier's files on the screens: the counter attaches scans (several
files, the progress shown) and opens them byte-identical, a renamed executable and a
dossier that takes no more papers are refused beside the file field, the department
sees the scans previewed (an image, a PDF in a frame), the citizen sends files with
the online dossier, and the result PDF goes with the approval of the last step, for
the citizen to download with the code and the ID number typed again."""

import hashlib
import re
import struct
import zlib

import requests

from tests.helpers import wait_for
from tests.system import COUNTER, dossier, dossier_body, officer, submit, work_through
from tests.web.conftest import PHONE_SCREEN, Staff, check_accessible, screenshot

EXTRACT = "2.000635"  # Cấp bản sao trích lục hộ tịch: route TUPHAP (one step), full online service
DOCUMENT = "Tờ khai"  # the paper dossier_body() lists
ONLINE_DOCUMENT = "Tờ khai cấp bản sao trích lục hộ tịch"  # the procedure's own paper


def png(width=40, height=30, seed=0):
    """A real PNG image (a browser draws it): RGB rows with a filter byte each."""
    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in ((x * 7 + seed) % 256, (y * 9) % 256, (x + y + seed) % 256))
        for y in range(height)
    )

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def pdf(text="Ban scan"):
    """A small valid one-page PDF with `text` on it."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


# a Windows executable's first bytes, named as a PDF
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 4000


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def attach_by_api(system, code, name, content, kind, document=DOCUMENT):
    answer = requests.post(
        system.url("intake", f"/api/dossiers/{code}/files"),
        headers=COUNTER,
        files={"file": (name, content, kind)},
        data={"document": document},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def flash(page):
    return page.locator(".flash").inner_text()


def queue(system, department):
    answer = requests.get(
        system.url("processing", f"/api/departments/{department}/queue"), headers=officer(department), timeout=10
    )
    assert answer.status_code == 200, answer.text
    return [item["dossier_code"] for item in answer.json()["items"]]


def files_of(system, code):
    return dossier(system, code).get("files") or []


# --- the counter ------------------------------------------------------------------------------


def test_the_counter_attaches_two_scans_with_progress_and_opens_one_byte_identical(system, web_url, signed_in):
    code = submit(system, dossier_body(EXTRACT))
    scan, photo = pdf("To khai 1"), png(seed=1)
    page = signed_in("quay.test")
    page.goto(f"/quay/ho-so/{code}")
    form = page.locator("form.upload")
    assert form.get_attribute("enctype") == "multipart/form-data"
    assert page.locator("p.no-files").inner_text() == "Hồ sơ chưa có tệp nào."
    assert page.get_by_role("table", name="Các tệp của hồ sơ").count() == 0
    page.get_by_role("combobox", name="Giấy tờ", exact=True).select_option(DOCUMENT)
    page.get_by_label(re.compile("^Tệp \\(PDF")).set_input_files(
        [
            {"name": "to-khai.pdf", "mimeType": "application/pdf", "buffer": scan},
            {"name": "anh-chup.png", "mimeType": "image/png", "buffer": photo},
        ]
    )
    # what upload.js sets the <progress> to, as htmx reports the upload going
    page.evaluate(
        """window.seenProgress = [];
        document.addEventListener("htmx:xhr:progress", () => {
          const bar = document.querySelector("#scan-progress");
          window.seenProgress.push(bar ? [bar.value, bar.closest(".upload-progress").hidden] : null);
        });"""
    )
    page.get_by_role("button", name="Đính kèm").click()
    page.wait_for_url(re.compile(rf".*/quay/ho-so/{re.escape(code)}(#tep)?$"))
    wait_for(lambda: "Đã đính kèm 2 tệp" in flash(page), message="the flash of the upload")
    seen = page.evaluate("window.seenProgress || []")
    assert seen and [100, False] in seen, seen  # sent by htmx, the bar shown and filled

    table = page.get_by_role("table", name="Các tệp của hồ sơ")
    rows = table.locator("tbody tr")
    assert rows.count() == 2
    text = table.inner_text()
    assert "to-khai.pdf" in text and "anh-chup.png" in text and "PDF" in text and "Ảnh PNG" in text
    assert text.count(DOCUMENT) == 2 and "quay.test" in text
    stored = {f["name"]: f for f in files_of(system, code)}
    assert stored["to-khai.pdf"]["sha256"] == sha256(scan) and stored["anh-chup.png"]["sha256"] == sha256(photo)
    check_accessible(page, "quay-tep")
    screenshot(page, "quay-tep")

    # opened through the web: the very bytes, shown in the browser (inline) or downloaded
    href = table.get_by_role("link", name="to-khai.pdf", exact=True).get_attribute("href")
    assert href == f"/quay/ho-so/{code}/tep/{stored['to-khai.pdf']['id']}"
    opened = page.request.get(web_url + href)
    assert opened.status == 200 and opened.body() == scan
    assert opened.headers["content-type"] == "application/pdf"
    assert opened.headers["content-disposition"].startswith("inline;")
    assert "frame-ancestors 'self'" in opened.headers["content-security-policy"]
    assert "x-frame-options" not in opened.headers
    downloaded = page.request.get(web_url + href + "?tai=1")
    assert downloaded.body() == scan and downloaded.headers["content-disposition"].startswith("attachment;")
    # another dossier's page does not open it
    other = submit(system, dossier_body(EXTRACT))
    assert page.request.get(f"{web_url}/quay/ho-so/{other}/tep/{stored['to-khai.pdf']['id']}").status == 404


def test_a_renamed_executable_is_refused_beside_the_field_and_nothing_is_stored(system, web_url, signed_in):
    code = submit(system, dossier_body(EXTRACT))
    page = signed_in("quay.test")
    page.goto(f"/quay/ho-so/{code}")
    page.get_by_label(re.compile("^Tệp \\(PDF")).set_input_files(
        [{"name": "hoa-don.pdf", "mimeType": "application/pdf", "buffer": EXECUTABLE}]
    )
    page.get_by_role("button", name="Đính kèm").click()
    beside = page.locator("#scan-files-loi")
    beside.wait_for()
    assert "hoa-don.pdf" in beside.inner_text() and "không phải PDF, JPEG hoặc PNG" in beside.inner_text()
    assert page.get_by_label(re.compile("^Tệp \\(PDF")).get_attribute("aria-invalid") == "true"
    assert "Có tệp chưa đính kèm được" in page.get_by_role("alert").first.inner_text()
    assert files_of(system, code) == []
    check_accessible(page, "quay-tep loi")


def test_intakes_refusal_shows_beside_the_field_without_a_browser(system, web_url):
    """A dossier withdrawn takes no papers: intake's 409 comes back beside the field,
    and without JavaScript the plain form posts the same."""
    code = submit(system, dossier_body(EXTRACT))
    withdrawn = requests.post(
        system.url("intake", f"/api/dossiers/{code}/withdraw"),
        json={"reason": "Người nộp xin rút hồ sơ"},
        headers=COUNTER,
        timeout=10,
    )
    assert withdrawn.status_code == 200, withdrawn.text
    staff = Staff(web_url)
    assert staff.sign_in("quay.test").status_code == 303
    token = staff.csrf(f"/quay/ho-so/{code}")
    answer = staff.http.post(
        f"{web_url}/quay/ho-so/{code}/tep",
        data={"csrf_token": token, "scan.document": DOCUMENT},
        files={"scan.files": ("to-khai.pdf", pdf(), "application/pdf")},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 409, answer.text[:500]
    beside = re.search(r'id="scan-files-loi">(.*?)</ul>', answer.text, re.S)
    assert beside and "to-khai.pdf" in beside.group(1), answer.text[:2000]
    assert files_of(system, code) == []
    # no file chosen: said beside the field, nothing sent
    empty = staff.http.post(
        f"{web_url}/quay/ho-so/{submit(system, dossier_body(EXTRACT))}/tep",
        data={"csrf_token": token, "scan.document": DOCUMENT},
        files={"scan.files": ("", b"", "application/octet-stream")},
        allow_redirects=False,
        timeout=30,
    )
    assert empty.status_code == 400 and "Chọn ít nhất một tệp" in empty.text


# --- the department -----------------------------------------------------------------------------


def test_the_department_sees_the_scans_previewed(system, web_url, signed_in):
    work_through(system, "TUPHAP")
    code = submit(system, dossier_body(EXTRACT))
    wait_for(lambda: code in queue(system, "TUPHAP"), timeout=30, message=f"{code} in TUPHAP's queue")
    photo, scan = png(seed=7), pdf("Giay to")
    picture = attach_by_api(system, code, "anh.png", photo, "image/png")
    paper = attach_by_api(system, code, "giay-to.pdf", scan, "application/pdf")

    page = signed_in("tuphap.test")
    refused = []
    page.on("console", lambda message: refused.append(message.text) if "Refused" in message.text else None)
    page.goto(f"/phong/TUPHAP/ho-so/{code}")
    listing = page.get_by_role("table", name="Các tệp đính kèm hồ sơ").inner_text()
    assert "anh.png" in listing and "giay-to.pdf" in listing
    image = page.get_by_role("img", name=re.compile("Ảnh scan: Tờ khai"))
    image.scroll_into_view_if_needed()
    assert image.get_attribute("src") == f"/phong/TUPHAP/ho-so/{code}/tep/{picture['id']}"
    wait_for(lambda: image.evaluate("i => i.complete && i.naturalWidth") == 40, message="the image drawn")
    frame = page.locator("iframe[title^='Bản PDF']")
    assert frame.count() == 1
    assert frame.get_attribute("src") == f"/phong/TUPHAP/ho-so/{code}/tep/{paper['id']}"
    frame.scroll_into_view_if_needed()
    wait_for(
        lambda: any(f.url.endswith(f"/tep/{paper['id']}") for f in page.frames), message="the PDF loaded in its frame"
    )
    shown = page.request.get(web_url + frame.get_attribute("src"))
    assert shown.body() == scan and shown.headers["content-disposition"].startswith("inline;")
    assert "x-frame-options" not in shown.headers
    page_policy = page.request.get(f"{web_url}/phong/TUPHAP/ho-so/{code}").headers["content-security-policy"]
    assert "frame-src 'self'" in page_policy and "frame-ancestors 'none'" in page_policy
    assert not refused, refused
    check_accessible(page, "phong-xem-tep")
    screenshot(page, "phong-xem-tep")
    # another department's officer is refused the file before any API is asked
    other = signed_in("qldt.test")
    assert other.request.get(f"{web_url}/phong/TUPHAP/ho-so/{code}/tep/{paper['id']}").status == 403


# --- the citizen --------------------------------------------------------------------------------


def test_a_citizen_sends_a_file_with_the_online_dossier(system, web_url, new_page):
    page = new_page(PHONE_SCREEN)
    page.goto(f"/nop-ho-so/{EXTRACT}")
    page.get_by_label("Họ và tên").fill("Đỗ Thị Tệp")
    page.get_by_label("Số căn cước công dân (CCCD)").fill("031195006666")
    page.get_by_label("Số điện thoại").fill("0905112244")
    page.get_by_label("Nhận tin nhắn SMS").check()
    page.get_by_label(ONLINE_DOCUMENT, exact=True).check()
    # a renamed executable first: said beside its field, no dossier made
    page.get_by_label(f"Tệp: {ONLINE_DOCUMENT}").set_input_files(
        [{"name": "to-khai.pdf", "mimeType": "application/pdf", "buffer": EXECUTABLE}]
    )
    page.get_by_role("button", name="Nộp hồ sơ").click()
    page.wait_for_load_state()
    assert "to-khai.pdf" in page.locator("#tep-0-loi").inner_text()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Nộp hồ sơ trực tuyến")
    assert system.scalar("intake", "SELECT count(*) FROM dossiers WHERE phone = '0905112244'") == 0
    check_accessible(page, "nop-ho-so tep loi")

    scan = pdf("Don cua cong dan")
    page.get_by_label(f"Tệp: {ONLINE_DOCUMENT}").set_input_files(
        [{"name": "to-khai.pdf", "mimeType": "application/pdf", "buffer": scan}]
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_SCREEN["width"]
    page.get_by_role("button", name="Nộp hồ sơ").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Đã nộp hồ sơ trực tuyến"
    reference = page.locator("#so-dang-ky").inner_text()
    sent = page.locator("ul.sent-files").inner_text()
    assert ONLINE_DOCUMENT in sent and "to-khai.pdf" in sent
    check_accessible(page, "nop-ho-so da nop tep")
    stored = files_of(system, reference)
    assert [(f["document"], f["name"], f["sha256"]) for f in stored] == [(ONLINE_DOCUMENT, "to-khai.pdf", sha256(scan))]
    assert stored[0]["uploaded_by"] == "web.nop-ho-so"


def test_the_result_goes_with_the_approval_and_the_citizen_downloads_it(system, web_url, signed_in, new_page):
    work_through(system, "TUPHAP")
    body = dossier_body(EXTRACT)
    code = submit(system, body)
    wait_for(lambda: code in queue(system, "TUPHAP"), timeout=30, message=f"{code} in TUPHAP's queue")
    page = signed_in("tuphap.test")
    page.goto("/phong/TUPHAP")
    page.get_by_role("button", name="Nhận hồ sơ tiếp theo").click()
    page.wait_for_url(f"{web_url}/phong/TUPHAP/ho-so/{code}")

    # not a PDF: refused beside the field, the dossier not approved
    page.get_by_text("Đồng ý, chuyển bước tiếp theo", exact=True).click()
    page.get_by_label("Kết quả giải quyết (PDF)").set_input_files(
        [{"name": "ket-qua.png", "mimeType": "image/png", "buffer": png()}]
    )
    page.get_by_role("button", name="Duyệt hồ sơ").click()
    page.wait_for_load_state()
    assert "ket-qua.png" in page.locator("#result_file-loi").inner_text()
    assert dossier(system, code)["status"] == "in_progress"

    result = pdf("Ket qua giai quyet")
    page.get_by_label("Kết quả giải quyết (PDF)").set_input_files(
        [{"name": "ket-qua.pdf", "mimeType": "application/pdf", "buffer": result}]
    )
    page.get_by_role("button", name="Duyệt hồ sơ").click()
    page.wait_for_url(f"{web_url}/phong/TUPHAP")
    assert f"Đã duyệt hồ sơ {code}" in flash(page)
    done = wait_for(
        lambda: (d := dossier(system, code))["status"] == "result_ready" and d.get("result_file") and d,
        timeout=30,
        message="the result ready with its file",
    )
    assert done["result_file"]["sha256"] == sha256(result)
    # the department and the counter (to print it) open it through the web
    page.goto(f"/phong/TUPHAP/ho-so/{code}")
    link = page.locator(".result-file a")
    assert link.inner_text() == "ket-qua.pdf"
    assert page.request.get(web_url + link.get_attribute("href")).body() == result
    counter = signed_in("quay.test")
    counter.goto(f"/quay/ho-so/{code}")
    printed = counter.locator(".result-file a")
    assert printed.get_attribute("href") == f"/quay/ho-so/{code}/tep/{done['result_file']['id']}"
    assert counter.request.get(web_url + printed.get_attribute("href")).body() == result

    citizen = new_page(PHONE_SCREEN)
    citizen.goto(f"/tra-cuu?code={code}")
    citizen.get_by_label("Số giấy tờ").fill(body["applicant"]["id_number"])
    citizen.get_by_role("button", name="Tra cứu").click()
    citizen.wait_for_load_state()
    download_form = citizen.locator("form.result-download")
    assert download_form.count() == 1
    assert body["applicant"]["id_number"] not in citizen.content()  # the identifier is typed again
    check_accessible(citizen, "tra-cuu ket-qua")
    download_form.get_by_label("Số giấy tờ").fill(body["applicant"]["id_number"])
    with citizen.expect_download() as got:
        download_form.get_by_role("button", name="Tải kết quả (PDF)").click()
    with open(got.value.path(), "rb") as saved:
        assert saved.read() == result

    # a wrong ID number: the lookup's not-found page, no file
    citizen.goto(f"/tra-cuu?code={code}")
    citizen.get_by_label("Số giấy tờ").fill(body["applicant"]["id_number"])
    citizen.get_by_role("button", name="Tra cứu").click()
    citizen.wait_for_load_state()
    citizen.locator("form.result-download").get_by_label("Số giấy tờ").fill("031199999999")
    citizen.locator("form.result-download").get_by_role("button", name="Tải kết quả (PDF)").click()
    citizen.wait_for_load_state()
    assert citizen.get_by_role("heading", level=1).inner_text() == "Không tìm thấy hồ sơ"
