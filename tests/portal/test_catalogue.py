"""The catalogue in step: a procedure removed from the national catalogue is no longer
offered after one `motcua portal catalog-pull`; the staleness report lists it before.
The test brings a procedure of its own and a national catalogue that mirrors what is
offered, so the pull changes nothing that other tests use."""

import json
import subprocess
import sys

import pytest
import requests

from devtools.portal_sim import national_entry
from shared.config import ROOT
from tests.system import ADMIN, AGENCY, call

pytestmark = pytest.mark.e2e

OURS = "1.099105"
PROCEDURE = {
    "code": OURS,
    "name": "Thủ tục thử đồng bộ danh mục với Cổng Dịch vụ công quốc gia",
    "field": "Thử nghiệm",
    "online_service": "partial",
    "agency_code": AGENCY,
    "duration_days": 3,
    "route": [{"department": "TCKH", "days": 3}],
    "documents": ["Giấy đề nghị"],
    "return_methods": ["counter"],
    "supplement_clock": "restart",
    "effective_from": "2026-01-01",
}


def offered(system):
    return call("GET", system.url("intake", "/api/procedures")).json()["procedures"]


def pull(system, *args):
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", "portal", "catalog-pull", *args],
        env=system.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_procedure_removed_upstream_is_no_longer_offered_after_one_pull(system, portal):
    imported = call(
        "POST", system.url("intake", "/api/procedures/import"), json={"procedures": [PROCEDURE]}, headers=ADMIN
    )
    assert imported.status_code == 200, imported.text
    before = requests.get(f"{portal}/control/catalog", timeout=5).json()
    mirror = [national_entry(p) for p in offered(system)]
    try:
        requests.put(f"{portal}/control/catalog", json={"procedures": mirror}, timeout=5).raise_for_status()
        in_step = call("GET", system.url("portal", "/api/portal/catalog/differences"), headers=ADMIN).json()
        assert in_step["differences"] == [], in_step

        without = [p for p in mirror if p["code"] != OURS]
        requests.put(f"{portal}/control/catalog", json={"procedures": without}, timeout=5).raise_for_status()
        stale = call("GET", system.url("portal", "/api/portal/catalog/differences"), headers=ADMIN).json()
        assert [(d["code"], d["kind"]) for d in stale["differences"]] == [(OURS, "only_local")]

        preview = pull(system, "--dry-run", "--json")
        assert preview.returncode == 0, preview.stdout + preview.stderr
        assert [e["code"] for e in json.loads(preview.stdout)["applied"]["expired"]] == [OURS]
        assert OURS in {p["code"] for p in offered(system)}  # a dry run changes nothing

        done = pull(system)
        assert done.returncode == 0, done.stdout + done.stderr
        assert OURS not in {p["code"] for p in offered(system)}
        after = call("GET", system.url("portal", "/api/portal/catalog/differences"), headers=ADMIN).json()
        assert after["differences"] == [], after
    finally:
        requests.put(f"{portal}/control/catalog", json=before, timeout=5)
