"""`motcua catalog` and `motcua calendar` on intake's database."""

import json
import os
import subprocess
import sys
import uuid

import sqlalchemy as sa

from shared.config import ROOT


def motcua(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_catalog_import_and_calendar_commands(database_server, tmp_path):
    server, prefix = database_server
    run_prefix = f"{prefix}cli{uuid.uuid4().hex[:4]}_"
    env = {**os.environ, "MOTCUA_DATABASE_URL": server, "MOTCUA_DATABASE_PREFIX": run_prefix}
    demo = ROOT / "services" / "intake" / "catalog" / "demo.json"

    first = motcua(env, "catalog", "import", str(demo))
    assert first.returncode == 0, first.stderr
    assert len(json.loads(first.stdout)["added"]) == 3
    again = motcua(env, "catalog", "import", str(demo))
    assert len(json.loads(again.stdout)["unchanged"]) == 3 and json.loads(again.stdout)["added"] == []

    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"procedures": [{"code": "1.2"}]}), encoding="utf-8")
    refused = motcua(env, "catalog", "import", str(broken))
    assert refused.returncode == 1 and json.loads(refused.stdout)["error"]["code"] == "invalid_catalogue"

    listed = motcua(env, "catalog", "list", "--at", "2026-11-26")
    assert "2.000635 v1" in listed.stdout

    added = motcua(env, "calendar", "day-off", "2026-12-31", "--note", "nghỉ bù Tết Dương lịch")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["version"] == 1
    makeup = json.loads(motcua(env, "calendar", "working-day", "2027-01-09").stdout)
    assert makeup["version"] == 2 and makeup["kind"] == "working_day"
    assert json.loads(motcua(env, "calendar", "remove", "2026-12-31").stdout)["version"] == 3
    listing = json.loads(motcua(env, "calendar", "list").stdout)
    assert [o["day"] for o in listing["overrides"]] == ["2027-01-09"] and listing["version"] == 3
    missing = motcua(env, "calendar", "remove", "2026-12-31")
    assert missing.returncode == 1 and json.loads(missing.stdout)["error"]["code"] == "not_found"

    engine = sa.create_engine(sa.engine.make_url(server).set(database=run_prefix + "intake"))
    with engine.connect() as conn:
        announced = conn.scalars(
            sa.text("SELECT payload FROM outbox WHERE event_type = 'calendar_changed' ORDER BY id")
        ).all()
    engine.dispose()
    assert [json.loads(p)["data"]["version"] for p in announced] == [1, 2, 3]

    for command in (["catalog", "--help"], ["catalog", "import", "--help"], ["calendar", "day-off", "--help"]):
        assert motcua(env, *command).returncode == 0
