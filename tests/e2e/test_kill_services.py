"""SIGKILL each service in turn while dossiers are in flight: every dossier still
reaches `returned` and no citizen gets a message twice."""
import eventlet
import pytest

from shared import dlq
from shared.config import SERVICES
from tests.system import COUNTER, call, dossier, dossier_body, submit, work_through
from tests.helpers import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DOSSIERS = 30


def hand_back_ready(system, codes, returned):
    for code in codes - returned:
        view = dossier(system, code)
        if view["status"] == "result_ready":
            answer = call("POST", system.url("intake", f"/api/dossiers/{code}/return"), headers=COUNTER)
            assert answer.status_code in (200, 409), answer.text
        if dossier(system, code)["status"] == "returned":
            returned.add(code)


def test_sigkill_each_service_mid_flow(system, amqp_uri):
    submitted = {"counter": set(), "postal": set()}
    running = True

    def submitter():
        for i in range(DOSSIERS):
            method = "postal" if i % 2 else "counter"
            submitted[method].add(submit(system, dossier_body(return_method=method, sms=True, email=i % 3 == 0)))
            eventlet.sleep(0.15)

    def department():
        while running:
            work_through(system, "TUPHAP")
            eventlet.sleep(0.2)

    returned = set()

    def counter():
        while running:
            hand_back_ready(system, set(submitted["counter"]), returned)
            eventlet.sleep(0.3)

    workers = [eventlet.spawn(submitter), eventlet.spawn(department), eventlet.spawn(counter)]
    try:
        for service in SERVICES:
            eventlet.sleep(1.0)
            system.kill(service)          # SIGKILL: no clean shutdown, in-flight work is cut
            eventlet.sleep(0.5)
            system.restart(service)
        workers[0].wait()
        codes = submitted["counter"] | submitted["postal"]
        assert len(codes) == DOSSIERS
        wait_for(lambda: all(dossier(system, c)["status"] == "returned" for c in codes), timeout=120,
                 interval=0.5, message="every dossier returned")
    finally:
        running = False
        for worker in workers[1:]:
            worker.wait()

    expected_per_dossier = {"counter": {"dossier_received", "result_ready", "dossier_returned"},
                            "postal": {"dossier_received", "result_ready", "shipment_created", "shipment_delivered"}}

    def messages_by_dossier():
        messages = system.scalar("notify", """
            SELECT json_agg(row_to_json(t)) FROM (
              SELECT m.dossier_code, m.event_type, m.channel, count(d.message_id) AS deliveries
              FROM messages m LEFT JOIN local_deliveries d ON d.message_id = m.id
              WHERE m.dossier_code = ANY(:codes) GROUP BY 1, 2, 3) t""", codes=list(codes))
        by_dossier = {}
        for row in messages or []:
            by_dossier.setdefault(row["dossier_code"], {})[(row["event_type"], row["channel"])] = row["deliveries"]
        complete = all({k[0] for k in by_dossier.get(code, {}) if k[1] == "sms"} == expected_per_dossier[method]
                       and all(by_dossier[code].values()) for method in submitted for code in submitted[method])
        return by_dossier if complete else None
    # the last message of a dossier may still be on its way when the dossier reads `returned`
    by_dossier = wait_for(messages_by_dossier, timeout=60, interval=0.5, message="every message delivered")
    for code in codes:
        assert all(count == 1 for count in by_dossier[code].values()), (code, by_dossier[code])
    shipments = system.scalar("postal", "SELECT json_agg(c) FROM (SELECT count(*) AS c FROM shipments "
                                        "WHERE dossier_code = ANY(:codes) GROUP BY dossier_code) t",
                              codes=list(submitted["postal"]))
    assert len(shipments) == len(submitted["postal"]) and set(shipments) == {1}
    parked = dlq.list_parked(amqp_uri)
    assert parked == []
    total = sum(sum(v.values()) for v in by_dossier.values())
    print(f"\nkilled {', '.join(SERVICES)} in turn: {len(codes)} dossiers returned "
          f"({len(submitted['counter'])} at the counter, {len(submitted['postal'])} by post), "
          f"{total} messages each delivered once, {len(shipments)} shipments, {len(parked)} parked")
