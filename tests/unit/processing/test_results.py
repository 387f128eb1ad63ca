"""The electronic result's rules through processing's use cases, on fake
repositories: only the officer holding the last step attaches the result file, never
on a decided task; a second upload replaces the first; the approval's result_ready
carries the reference (with the signed link) and says whether the citizen may
download it; the upload's stream is refused unless it is a PDF."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from services.processing import application
from services.processing.adapters.result_files import PdfOnly
from services.processing.domain import policies
from services.processing.domain.errors import ResultNotPdf
from services.processing.domain.model import ResultFile
from shared.files import FilesystemStore
from tests.unit.processing.fakes import MORNING, FakeProcessingWork
from tests.unit.processing.test_application import (
    case,
    claim,
    decide,
    officer,
    plan,
    published,
    refused,
)


@pytest.fixture
def work() -> FakeProcessingWork:
    return FakeProcessingWork()


ONE_STEP = [{"department": "TUPHAP", "days": 3}]
TWO_STEPS = [{"department": "QLDT", "days": 2}, {"department": "LANHDAO", "days": 1}]


def result(n: int = 1, by: str = "cv.tuphap") -> ResultFile:
    return ResultFile(
        id=f"00000000-0000-0000-0000-{n:012d}",
        sha256=f"{n:064x}",
        size=1000 + n,
        media_type="application/pdf",
        name=f"ket-qua-{n}.pdf",
        uploaded_by=by,
        uploaded_at=MORNING,
    )


def attach(work, task, file, actor=None):
    answer = application.attach_result(work, task.id, actor or officer(task.department), file, MORNING)
    work.commit()
    return answer


def test_the_holder_of_the_last_step_attaches_the_result_and_result_ready_carries_it(work):
    task = plan(work, route=ONE_STEP, result_electronic=True)
    held = claim(work, "TUPHAP")
    assert held is not None and held.id == task.id
    application.check_result_upload(work, held.id, officer("TUPHAP"), MORNING)
    kept, replaced = attach(work, held, result(1))
    assert replaced is None and kept.result_sha256 == result(1).sha256

    decide(work, held, MORNING + timedelta(minutes=5), action="approve", note="cấp giấy")
    ready = published(work, held.dossier_code)[-1]
    assert ready.event_type == "result_ready"
    data = ready.data()
    assert data["electronic"] is True
    assert data["result_file"] == {
        "id": result(1).id,
        "sha256": result(1).sha256,
        "size": 1001,
        "type": "application/pdf",
        "name": "ket-qua-1.pdf",
        "url": f"/api/files/{result(1).id}",  # the unit tier's link: no signature
    }


def test_the_signed_link_is_what_decide_is_given(work):
    task = plan(work, route=ONE_STEP, result_electronic=True)
    held = claim(work, "TUPHAP")
    attach(work, held, result(2))
    application.decide(
        work, held.id, {"action": "approve"}, officer("TUPHAP"), MORNING, link=lambda i: f"/signed/{i}?s=1"
    )
    work.commit()
    assert published(work, task.dossier_code)[-1].data()["result_file"]["url"] == f"/signed/{result(2).id}?s=1"


def test_a_second_upload_replaces_the_first_and_the_sweep_keeps_only_the_second(work):
    plan(work, route=ONE_STEP)
    held = claim(work, "TUPHAP")
    attach(work, held, result(1))
    _, replaced = attach(work, held, result(2))
    assert replaced == result(1).sha256
    assert application.referenced_results(work, [result(1).sha256, result(2).sha256]) == {result(2).sha256}


def test_a_procedure_not_returning_electronically_carries_the_file_but_not_electronic(work):
    task = plan(work, route=ONE_STEP)  # dossier_received without result_electronic
    held = claim(work, "TUPHAP")
    attach(work, held, result(3))
    decide(work, held, action="approve")
    data = published(work, task.dossier_code)[-1].data()
    assert data["result_file"]["id"] == result(3).id and data["electronic"] is False


def test_without_a_file_result_ready_is_as_before(work):
    task = plan(work, route=ONE_STEP, result_electronic=True)
    held = claim(work, "TUPHAP")
    decide(work, held, action="approve")
    data = published(work, task.dossier_code)[-1].data()
    assert "result_file" not in data and "electronic" not in data


def test_only_on_the_last_step(work):
    first = plan(work, route=TWO_STEPS)
    held = claim(work, "QLDT")
    assert held is not None and held.id == first.id
    refused(422, "not_last_step", application.check_result_upload, work, held.id, officer("QLDT"), MORNING)
    refused(422, "not_last_step", application.attach_result, work, held.id, officer("QLDT"), result(1), MORNING)
    assert case(work, held.dossier_code).result_sha256 is None
    decide(work, held, action="approve")
    last = claim(work, "LANHDAO")
    assert last is not None and last.step == 2
    attach(work, last, result(1))
    assert case(work, last.dossier_code).result_sha256 == result(1).sha256


def test_only_the_officer_holding_the_task(work):
    plan(work, route=ONE_STEP)
    held = claim(work, "TUPHAP", sub="cv.a")
    other = officer("TUPHAP", "cv.b")
    refused(409, "task_not_held", application.check_result_upload, work, held.id, other, MORNING)
    refused(409, "task_not_held", application.attach_result, work, held.id, other, result(1), MORNING)
    elsewhere = officer("QLDT", "cv.a")
    refused(403, "other_department", application.attach_result, work, held.id, elsewhere, result(1), MORNING)
    assert case(work, held.dossier_code).result_sha256 is None
    attach(work, held, result(1), officer("TUPHAP", "cv.a"))


def test_a_waiting_task_takes_no_result(work):
    task = plan(work, route=ONE_STEP)
    refused(409, "task_not_held", application.check_result_upload, work, task.id, officer("TUPHAP"), MORNING)


@pytest.mark.parametrize("action", [{"action": "approve"}, {"action": "reject", "reason": "không đủ điều kiện"}])
def test_a_decided_task_takes_no_result(work, action):
    plan(work, route=ONE_STEP)
    held = claim(work, "TUPHAP")
    decide(work, held, **action)
    refused(409, "task_not_held", application.check_result_upload, work, held.id, officer("TUPHAP"), MORNING)
    refused(409, "task_not_held", application.attach_result, work, held.id, officer("TUPHAP"), result(1), MORNING)


def test_the_store_gets_a_pdf_only(tmp_path):
    store = FilesystemStore(tmp_path)
    pdf = b"%PDF-1.7\n" + b"x" * 200_000
    stored = store.put(PdfOnly(io.BytesIO(pdf)), policies.RESULT_MAX_BYTES)
    assert stored.media_type == "application/pdf" and stored.size == len(pdf)
    for refused_bytes in (b"\x89PNG\r\n\x1a\n" + b"x" * 100, b"\xff\xd8\xff" + b"x" * 100, b"MZ\x90\x00", b""):
        with pytest.raises(ResultNotPdf):
            store.put(PdfOnly(io.BytesIO(refused_bytes)), policies.RESULT_MAX_BYTES)
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [stored.sha256]  # nothing else stored


def test_a_stream_handing_out_a_byte_at_a_time_is_read_whole(tmp_path):
    class Trickle:
        def __init__(self, data: bytes) -> None:
            self.data = data

        def read(self, size: int = -1) -> bytes:
            out, self.data = self.data[:1], self.data[1:]
            return out

    pdf = b"%PDF-1.4 tiny"
    stored = FilesystemStore(tmp_path).put(PdfOnly(Trickle(pdf)), policies.RESULT_MAX_BYTES)
    assert stored.size == len(pdf) and stored.media_type == "application/pdf"


def test_result_file_names():
    assert policies.result_file_name("C:\\hồ sơ\\Kết quả.pdf") == "Kết quả.pdf"
    assert policies.result_file_name("../../etc/passwd\x00") == "passwd"
    assert policies.result_file_name(None) == "ket-qua.pdf"
    assert len(policies.result_file_name("a" * 300 + ".pdf")) == 200
