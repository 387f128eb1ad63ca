"""processing's nameko dependencies: the dispatcher of automated departments' work,
one per container, with its own publisher connection; the file store (results)."""

from __future__ import annotations

from typing import Any

from nameko.extensions import DependencyProvider

from services.processing.adapters.task_queue import Dispatcher
from shared.files import FileStore, file_store
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


class Files(DependencyProvider):
    """`self.files`: the file store (shared.files.file_store: MOTCUA_FILES_URL, the
    same store as intake's), made once when the container sets up."""

    def setup(self) -> None:
        self.store = file_store()

    def get_dependency(self, worker_ctx: Any) -> FileStore:
        return self.store
