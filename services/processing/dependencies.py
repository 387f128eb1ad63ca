"""processing's nameko dependencies: the dispatcher of automated departments' work,
one per container, with its own publisher connection."""

from __future__ import annotations

from typing import Any

from nameko.extensions import DependencyProvider

from services.processing.adapters.task_queue import Dispatcher
from shared.messaging import ConfirmingPublisher


class TaskDispatch(DependencyProvider):
    """The service's Dispatcher (adapters.task_queue)."""

    def setup(self) -> None:
        uri = self.container.config["AMQP_URI"]
        self.dispatcher = Dispatcher(uri, ConfirmingPublisher(uri))

    def stop(self) -> None:
        self.dispatcher.publisher.close()

    kill = stop

    def get_dependency(self, worker_ctx: Any) -> Dispatcher:
        return self.dispatcher
