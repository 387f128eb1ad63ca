"""An example department system: consumes processing.tasks.<department> and
answers each task through nameko RPC (processing.decide_task), presenting its
department credential (a token with role department_system): the task message
carries no authority.

A task is acknowledged only after processing answered it, so a worker killed
mid-task leaves the message to the next worker; a task answered twice meets a
409 the second time and is simply acknowledged.
"""

import logging
import time

import kombu
from nameko.standalone.rpc import ClusterRpcProxy

from services.processing.adapters.task_queue import consumable_task_queue

log = logging.getLogger("department-worker")


class CredentialRefused(Exception):
    """processing answered 401: this worker's token is missing, wrong or expired."""


class DepartmentWorker:
    def __init__(self, amqp_uri, department, decision, token, rpc_timeout=30, out=print):
        self.amqp_uri = amqp_uri
        self.department = department
        self.token = token
        self.decision = decision
        self.rpc_timeout = rpc_timeout
        self.out = out
        self.handled = 0

    def handle(self, rpc, body, message):
        if not (isinstance(body, dict) and body.get("task_id")):
            log.error("not a task message, dropped: %.200r", body)
            message.ack()
            return
        try:
            answer = rpc.processing.decide_task(body["task_id"], self.decision, self.department, token=self.token)
        except Exception as exc:  # processing away or timed out: give the task back, try later
            log.warning("task %s not answered (%s); back to the queue", body.get("task_id"), exc)
            message.requeue()
            time.sleep(1)
            return
        if answer["status"] == 401:  # our credential, not the task: give the task back and stop
            message.requeue()
            raise CredentialRefused(f"{answer['error']['code']}: {answer['error']['message']}")
        message.ack()
        self.handled += 1
        outcome = "ok" if answer["status"] == 200 else f"{answer['status']} {answer['error']['code']}"
        self.out(
            f"{body.get('dossier_code')} step {body.get('step')} task {body['task_id']}: "
            f"{self.decision['action']} -> {outcome}",
            flush=True,
        )

    def run(self, max_tasks=None):
        """Consume until interrupted (or max_tasks answered); reconnects when the broker goes away."""
        while max_tasks is None or self.handled < max_tasks:
            try:
                with (
                    ClusterRpcProxy({"AMQP_URI": self.amqp_uri}, timeout=self.rpc_timeout) as rpc,
                    kombu.Connection(self.amqp_uri, heartbeat=0) as conn,
                ):
                    queue = consumable_task_queue(conn, self.department)
                    with conn.Consumer(
                        queue,
                        accept=["json"],
                        prefetch_count=1,
                        callbacks=[lambda body, message: self.handle(rpc, body, message)],
                    ):
                        self.out(f"department-worker {self.department}: consuming {queue.name}", flush=True)
                        while max_tasks is None or self.handled < max_tasks:
                            try:
                                conn.drain_events(timeout=1)
                            except TimeoutError:
                                pass
            except (OSError, kombu.exceptions.KombuError, ConnectionError) as exc:
                log.warning("broker connection lost (%s); reconnecting", exc)
                time.sleep(2)
