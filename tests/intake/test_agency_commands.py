"""`motcua agency set|list` and the catalogue file's `agencies` on intake's database:
the agency's configuration the forms print (issue 13, item 9)."""

import json
import os
import uuid

from shared.config import ROOT
from tests.intake.test_commands import motcua

AGENCY = "000.00.06.H56"


def test_agency_set_and_list_keep_what_is_not_given(database_server):
    server, prefix = database_server
    env = {**os.environ, "MOTCUA_DATABASE_URL": server, "MOTCUA_DATABASE_PREFIX": f"{prefix}ag{uuid.uuid4().hex[:4]}_"}

    demo = motcua(env, "catalog", "import", str(ROOT / "services" / "intake" / "catalog" / "demo.json"))
    assert demo.returncode == 0, demo.stderr
    assert json.loads(demo.stdout)["agencies"] == [
        {"code": AGENCY, "name": "Ủy ban nhân dân quận Lê Chân (dữ liệu minh hoạ)", "status": "added"}
    ]

    changed = motcua(env, "agency", "set", "--code", AGENCY, "--name", "UBND quận Lê Chân", "--head-title", "CHỦ TỊCH")
    assert changed.returncode == 0, changed.stderr
    assert json.loads(changed.stdout) == {"code": AGENCY, "name": "UBND quận Lê Chân", "status": "changed"}
    added = motcua(env, "agency", "set", "--code", "000.00.01.H56", "--name", "UBND quận Ngô Quyền")
    assert json.loads(added.stdout)["status"] == "added"

    listing = {a["code"]: a for a in json.loads(motcua(env, "agency", "list").stdout)}
    assert listing[AGENCY] == {
        "code": AGENCY,
        "name": "UBND quận Lê Chân",
        "address": "Số 1 Đinh Tiên Hoàng, quận Lê Chân, thành phố Hải Phòng",  # kept from the file
        "place": "Hải Phòng",
        "head_title": "CHỦ TỊCH",
    }
    assert listing["000.00.01.H56"]["head_title"] == "THỦ TRƯỞNG CƠ QUAN" and listing["000.00.01.H56"]["place"] == ""

    refused = motcua(env, "agency", "set", "--code", "H56", "--name", "")
    assert refused.returncode == 1
    assert set(json.loads(refused.stdout)["error"]["fields"]) == {"code", "name"}
    for command in (["agency", "--help"], ["agency", "set", "--help"], ["agency", "list", "--help"]):
        shown = motcua(env, *command)
        assert shown.returncode == 0 and "agenc" in shown.stdout
