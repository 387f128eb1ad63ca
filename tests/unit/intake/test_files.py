"""A dossier's files: which statuses take papers, from whom, the 100 MB a
dossier, the documents a file may be declared as, and the events that list files by
reference. intake's rules on fake repositories (no file store: a file here is its
SHA-256, size and type, as the store answered them)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import pytest

from services.intake import application
from services.intake.domain import policies
from services.intake.domain.errors import (
    DossierFilesTooLarge,
    DossierNotFound,
    NotTakingPapers,
    OtherAgency,
    UnknownDocument,
)
from services.intake.domain.events import DossierFilesAdded, DossierReceived, DossierSupplemented
from services.intake.domain.model import TAKES_PAPERS, Actor, Dossier, DossierStatus
from shared import clock
from shared.errors import http_error
from tests.unit.intake.fakes import FakeIntakeWork, work_with_demo_catalogue

AGENCY = "000.00.06.H56"
COUNTER = Actor(sub="canbo.motcua", role="counter", agency=AGENCY)
OTHER_COUNTER = Actor(sub="canbo.khac", role="counter", agency="000.00.01.H56")
PORTAL = Actor(sub="dichvucong", role="portal")
OTHER_PORTAL = Actor(sub="cong-khac", role="portal")
THURSDAY_MORNING = datetime(2026, 11, 26, 8, 0, tzinfo=clock.TZ)
FORM = "Tờ khai cấp bản sao trích lục hộ tịch"  # the demo procedure 2.000635's one document
MB = 1024 * 1024


def body(channel: str = "online") -> dict[str, Any]:
    return {
        "procedure_code": "2.000635",
        "channel": channel,
        "applicant": {"full_name": "Trần Văn Bình", "id_number": "031090004321", "phone": "0987654321"},
        "documents": [{"name": "Bản sao giấy khai sinh", "copies": 1}],
        "return_method": "counter",
        "delivery_address": None,
        "notify": {"sms": True, "email": False},
    }


@pytest.fixture
def work() -> FakeIntakeWork:
    return work_with_demo_catalogue(THURSDAY_MORNING.date())


def submitted(work: FakeIntakeWork, actor: Actor = PORTAL) -> Dossier:
    dossier, _ = application.submit(
        work, body("online" if actor.role == "portal" else "counter"), actor, THURSDAY_MORNING
    )
    work.commit()
    return dossier


def attach(
    work: FakeIntakeWork, code: str, actor: Actor = COUNTER, document: str = FORM, size: int = MB, name: str = "a.pdf"
) -> Any:
    """A file the store took (its hash made unique by a counter) attached to `code`."""
    attach.n = getattr(attach, "n", 0) + 1  # type: ignore[attr-defined]
    return application.attach_file(
        work,
        code,
        actor,
        document=document,
        name=name,
        sha256=hashlib.sha256(str(attach.n).encode()).hexdigest(),  # type: ignore[attr-defined]
        size=size,
        media_type="application/pdf",
        now=THURSDAY_MORNING,
        link=lambda file_id: f"/signed/{file_id}",
    )


def refusal(exc: pytest.ExceptionInfo[Any]) -> tuple[int, str]:
    status, code, _, _ = http_error(exc.value)
    return status, code


def moved(work: FakeIntakeWork, dossier: Dossier, status: str) -> None:
    """Put the dossier in `status` the way the register gets there."""
    at = THURSDAY_MORNING + timedelta(hours=1)
    if dossier.status == DossierStatus.SUBMITTED and status != DossierStatus.SUBMITTED:
        if status == DossierStatus.REFUSED:
            application.refuse(work, dossier.code, "Không đúng thẩm quyền", COUNTER, at)
            return
        application.accept(work, dossier.code, [], "", COUNTER, at)
    events = {
        DossierStatus.IN_PROGRESS: ("processing_started", {"department": "TUPHAP", "step": 1}),
        DossierStatus.SUPPLEMENT_REQUESTED: (
            "supplement_requested",
            {"department": "TUPHAP", "items": [{"name": "Giấy ủy quyền", "reason": "thiếu"}]},
        ),
        DossierStatus.RESULT_READY: ("result_ready", {"department": "TUPHAP"}),
        DossierStatus.REJECTED: ("dossier_rejected", {"department": "TUPHAP"}),
    }
    if status in events:
        event_type, data = events[DossierStatus(status)]
        application.follow(work, event_type, dossier.code, data, at + timedelta(minutes=5))
    if status == DossierStatus.WITHDRAWN:
        application.withdraw(work, dossier.code, "Công dân xin rút", COUNTER, at)
    work.commit()
    assert dossier.status == status


ALL = [s for s in DossierStatus if s != DossierStatus.RETURNED and s != DossierStatus.AWAITING_PAYMENT]


@pytest.mark.parametrize("status", ALL)
@pytest.mark.parametrize("actor", [COUNTER, PORTAL], ids=["counter", "portal"])
def test_files_are_added_only_while_the_dossier_takes_papers_from_that_role(
    work: FakeIntakeWork, status: str, actor: Actor
) -> None:
    dossier = submitted(work)
    moved(work, dossier, status)
    if status in TAKES_PAPERS[actor.role]:
        file = attach(work, dossier.code, actor)
        assert dossier.files == [file] and file.uploaded_by == actor.sub
        return
    with pytest.raises(NotTakingPapers) as refused:
        application.check_attachable(work, dossier.code, actor)  # before the body is read
    assert refusal(refused) == (409, "wrong_status") and refused.value.fields == {"status": [status]}
    assert str(status) in refused.value.message
    with pytest.raises(NotTakingPapers):
        attach(work, dossier.code, actor)
    assert dossier.files == []


def test_the_statuses_that_take_papers() -> None:
    # the counter scans what it holds until a decision; the applicant brings papers before
    # reception or when asked to complete the dossier
    assert set(TAKES_PAPERS["counter"]) == {"submitted", "received", "in_progress", "supplement_requested"}
    assert set(TAKES_PAPERS["portal"]) == {"submitted", "supplement_requested"}
    assert TAKES_PAPERS.get("officer") is None and TAKES_PAPERS.get("admin") is None


def test_another_agencys_counter_is_refused_and_another_portal_finds_nothing(work: FakeIntakeWork) -> None:
    dossier = submitted(work)
    with pytest.raises(OtherAgency) as other_agency:
        application.check_attachable(work, dossier.code, OTHER_COUNTER)
    assert refusal(other_agency) == (403, "other_agency")
    with pytest.raises(DossierNotFound) as other_portal:
        application.check_attachable(work, dossier.code, OTHER_PORTAL)
    assert refusal(other_portal) == (404, "not_found")
    with pytest.raises(OtherAgency):
        attach(work, dossier.code, OTHER_COUNTER)
    assert dossier.files == []


def test_a_dossiers_files_are_at_most_100_mb_in_all(work: FakeIntakeWork) -> None:
    dossier = submitted(work)
    for _ in range(4):
        attach(work, dossier.code, size=policies.MAX_FILE_BYTES)
    attach(work, dossier.code, size=policies.MAX_FILE_BYTES - 1)  # 1 byte short of 100 MB
    assert sum(f.size for f in dossier.files) == 100 * MB - 1
    with pytest.raises(DossierFilesTooLarge) as over:
        attach(work, dossier.code, size=2)
    assert refusal(over) == (413, "dossier_files_too_large") and len(dossier.files) == 5
    attach(work, dossier.code, size=1)  # exactly 100 MB
    with pytest.raises(DossierFilesTooLarge) as full:
        application.check_attachable(work, dossier.code, COUNTER)  # refused before a byte is read
    assert refusal(full) == (413, "dossier_files_too_large")
    assert policies.MAX_DOSSIER_FILES_BYTES == 100 * MB and policies.MAX_FILE_BYTES == 20 * MB


def test_a_file_is_one_of_the_dossiers_documents_or_another_paper(work: FakeIntakeWork) -> None:
    dossier = submitted(work)
    named = application.check_attachable(work, dossier.code, COUNTER)
    assert FORM in named and "Bản sao giấy khai sinh" in named
    # the procedure's own names, spelled as the procedure spells them whatever the case and spaces
    assert attach(work, dossier.code, document="  tờ khai CẤP bản sao   trích lục hộ tịch ").document == FORM
    assert attach(work, dossier.code, document="Bản sao giấy khai sinh").document == "Bản sao giấy khai sinh"
    assert attach(work, dossier.code, document="giấy tờ khác").document == policies.OTHER_DOCUMENT
    with pytest.raises(UnknownDocument) as unknown:
        attach(work, dossier.code, document="Sổ hộ khẩu")
    assert refusal(unknown) == (422, "unknown_document")
    assert policies.OTHER_DOCUMENT in unknown.value.fields["document"][0]
    with pytest.raises(UnknownDocument):
        application.check_document(named, "Sổ hộ khẩu")  # what the upload checks before the file part
    with pytest.raises(UnknownDocument):
        application.check_document(named, "   ")
    assert len(dossier.files) == 3


def test_what_a_supplement_request_asks_for_may_be_uploaded_for_it(work: FakeIntakeWork) -> None:
    dossier = submitted(work)
    with pytest.raises(UnknownDocument):
        attach(work, dossier.code, document="Giấy ủy quyền")
    moved(work, dossier, DossierStatus.SUPPLEMENT_REQUESTED)
    assert attach(work, dossier.code, PORTAL, document="giấy ủy quyền").document == "Giấy ủy quyền"


def test_an_online_dossiers_files_go_with_its_reception_by_reference(work: FakeIntakeWork) -> None:
    dossier = submitted(work)
    first = attach(work, dossier.code, PORTAL, size=1000)
    second = attach(work, dossier.code, PORTAL, document=policies.OTHER_DOCUMENT, size=2000)
    assert work.commit() == []  # nothing is announced before reception
    application.accept(work, dossier.code, [], "", COUNTER, THURSDAY_MORNING, link=lambda i: f"/signed/{i}")
    [received] = work.commit()
    assert isinstance(received, DossierReceived)
    assert received.data()["files"] == [
        {
            "id": f.id,
            "document": f.document,
            "sha256": f.sha256,
            "size": f.size,
            "type": "application/pdf",
            "url": f"/signed/{f.id}",
        }
        for f in (first, second)
    ]
    assert first.dossier_code == dossier.code == received.dossier_code  # the legal code now
    assert all(f.announced for f in dossier.files)


def test_files_added_after_reception_are_announced_at_once_and_only_once(work: FakeIntakeWork) -> None:
    dossier = submitted(work, COUNTER)  # a counter dossier is received at once, with no files
    [received] = work.published  # submitted() committed it
    assert received.data()["files"] == []
    scan = attach(work, dossier.code)
    [added] = work.commit()
    assert isinstance(added, DossierFilesAdded) and added.dossier_code == dossier.code
    assert [f["id"] for f in added.data()["files"]] == [scan.id]
    assert added.data()["files"][0]["url"] == f"/signed/{scan.id}"
    moved(work, dossier, DossierStatus.IN_PROGRESS)  # processing started: the counter still scans
    later = attach(work, dossier.code)
    [again] = work.commit()
    assert [f["id"] for f in again.data()["files"]] == [later.id]  # the first is not listed twice


def test_a_supplements_files_go_with_it(work: FakeIntakeWork) -> None:
    dossier = submitted(work)
    before = attach(work, dossier.code, PORTAL)
    moved(work, dossier, DossierStatus.SUPPLEMENT_REQUESTED)
    work.commit()
    brought = attach(work, dossier.code, PORTAL, document="Giấy ủy quyền")
    assert work.commit() == []  # waits for the supplement itself
    application.supplement(
        work, dossier.code, [{"name": "Giấy ủy quyền", "copies": 1}], PORTAL, THURSDAY_MORNING + timedelta(hours=2)
    )
    [supplemented] = work.commit()
    assert isinstance(supplemented, DossierSupplemented)
    assert [f["id"] for f in supplemented.data()["files"]] == [brought.id]  # not `before`: reception listed it
    assert before.announced and brought.announced


def test_file_names_keep_no_folder_and_at_most_200_characters() -> None:
    assert policies.clean_file_name("C:\\Users\\hoa\\Desktop\\to khai.pdf") == "to khai.pdf"
    assert policies.clean_file_name("../../etc/passwd") == "passwd"
    assert policies.clean_file_name("a\x00b\r\nc.pdf") == "abc.pdf"
    assert policies.clean_file_name("") == policies.clean_file_name(None) == policies.DEFAULT_FILE_NAME
    assert policies.clean_file_name("/tmp/..") == policies.DEFAULT_FILE_NAME
    long = policies.clean_file_name("đ" * 300 + ".pdf")
    assert len(long) == 200 and long.endswith(".pdf")
    assert len(policies.clean_file_name("x" * 300)) == 200
    assert policies.clean_file_name("Giấy khai sinh.PNG") == "Giấy khai sinh.PNG"


def test_the_upload_answers_the_cleaned_name(work: FakeIntakeWork) -> None:
    dossier = submitted(work)
    file = attach(work, dossier.code, name="/home/hoa/scan 01.pdf")
    assert file.name == "scan 01.pdf" and file.uploaded_at == THURSDAY_MORNING


def test_the_same_content_for_the_same_paper_sent_again_is_the_file_already_there(work: FakeIntakeWork) -> None:
    dossier = submitted(work, PORTAL)
    content = hashlib.sha256(b"the same scan").hexdigest()

    def send(actor: Actor = PORTAL) -> Any:
        return application.attach_file(
            work,
            dossier.code,
            actor,
            document=FORM,
            name="to-khai.pdf",
            sha256=content,
            size=MB,
            media_type="application/pdf",
            now=THURSDAY_MORNING,
        )

    first = send()
    assert send() is first and len(dossier.files) == 1
    assert send(actor=COUNTER) is not first and len(dossier.files) == 2  # the counter scanning it too: its own file
