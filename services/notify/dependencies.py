"""notify's nameko dependencies: the dispatch (templates, channels, rate limits,
settings), built once per container."""

from nameko.extensions import DependencyProvider

from services.notify.adapters.dispatch import Dispatch


class DispatchProvider(DependencyProvider):
    def setup(self):
        self.dispatch = Dispatch(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.dispatch
