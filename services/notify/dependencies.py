from nameko.extensions import DependencyProvider

from services.notify.messages import Templates


class TemplateStore(DependencyProvider):
    """Message templates from TEMPLATES_DIR (the packaged ones when empty)."""

    def setup(self):
        self.templates = Templates(self.container.config.get("TEMPLATES_DIR") or None)

    def get_dependency(self, worker_ctx):
        return self.templates
