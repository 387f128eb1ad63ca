"""MOTCUA_LOG_FORMAT=json: a service writes one JSON object a line, naming the
dossier and the correlation id of what it logs about."""

import json

import pytest

from tests.helpers import wait_for
from tests.system import System, dossier_body, submit

pytestmark = pytest.mark.e2e


@pytest.fixture
def json_logging_intake(new_vhost, database_server, tmp_path):
    server, prefix = database_server
    installation = System(new_vhost("json_logs"), server, prefix + "jsonlogs_", tmp_path)
    installation.env["MOTCUA_LOG_FORMAT"] = "json"
    try:
        installation.start("intake")
        installation.wait_healthy(["intake"])
        yield installation
    finally:
        installation.stop_all()


def test_json_log_lines_name_the_dossier(json_logging_intake):
    code = submit(json_logging_intake, dossier_body())
    log_file = json_logging_intake.logdir / "intake.log"

    def complete_lines():
        text = log_file.read_text(encoding="utf-8")
        return text[: text.rfind("\n") + 1].splitlines()

    wait_for(lambda: code in "".join(complete_lines()), message="the dossier logged")
    lines = complete_lines()
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    [about] = [e for e in entries if e["dossier_code"] == code]
    assert about["message"].startswith("dossier received for procedure 2.000635")
    assert len(about["correlation_id"]) == 36
    assert "031190001234" not in "\n".join(lines)  # the ID number is masked
