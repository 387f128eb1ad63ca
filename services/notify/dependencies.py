"""notify's nameko dependencies: the dispatch (templates, channels, rate limits,
settings), built once per container, and the sender that calls the providers for
what handled events leave to send."""

import logging
from typing import Any

import eventlet
from eventlet.queue import LightQueue
from nameko.extensions import DependencyProvider

from services.notify import application
from services.notify.adapters.dispatch import Dispatch
from shared import clock
from shared.db import Database
from shared.messaging import AFTER_COMMIT_CONCURRENCY, event_batch_size, take_waiting

log = logging.getLogger(__name__)


class DispatchProvider(DependencyProvider):
    def setup(self):
        self.dispatch = Dispatch(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.dispatch


class Sender(DependencyProvider):
    """Sends, after their commit, what handled events left to send (`application.Pending`),
    batch by batch: what has been handed over meanwhile goes to the providers side by
    side, and their answers are recorded in one transaction. The dependency is the
    hand-over: `self.sender.hand_over(pending)`. What is not sent when the process ends stays
    `sending` in the database, for the sweep."""

    def setup(self):
        self.batch_size = event_batch_size(self.container.config)
        self.waiting = LightQueue()
        self.thread = None

    def start(self):
        dependencies = self.container.dependencies
        self.dispatch: Any = next(d.dispatch for d in dependencies if isinstance(d, DispatchProvider))
        uow = next(d.uow for d in dependencies if isinstance(d, Database))
        work = self.container.service_cls.work
        self.start_work = lambda: uow.work(work)
        self.thread = self.container.spawn_managed_thread(self._run, identifier="Sender.run")

    def stop(self):
        if self.thread is not None:
            self.waiting.put(None)  # what was handed over before is sent first
            self.thread.wait()

    def _run(self):
        pool = eventlet.GreenPool(AFTER_COMMIT_CONCURRENCY)
        while True:
            taken = take_waiting(self.waiting, self.batch_size)
            pendings = [p for p in taken if p is not None]
            if pendings:
                try:
                    application.send_pending(self.start_work, self.dispatch, pendings, clock.now, pool.imap)
                except Exception:
                    log.exception("could not record what %d message(s) sent; the sweep sends them again", len(pendings))
            if None in taken:
                return

    def hand_over(self, pending: application.Pending) -> None:
        self.waiting.put(pending)

    def get_dependency(self, worker_ctx):
        return self
