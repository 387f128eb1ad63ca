"""Message templates (<event>.<channel>.j2, Jinja2), from a directory named in
configuration and re-read when edited."""

import hashlib
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from services.notify.domain.policies import money_text

DEFAULT_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


class Templates:
    """A template's version is a digest of its text, so every message records exactly
    which wording it was sent with."""

    def __init__(self, directory=None, lookup_url=""):
        # Sandboxed: templates are edited by operators at run time (TEMPLATES_DIR) and a
        # template must not reach Python internals ({{ ''.__class__.__mro__ }}).
        self.env = SandboxedEnvironment(
            loader=FileSystemLoader(str(directory or DEFAULT_TEMPLATES)),
            undefined=StrictUndefined,
            autoescape=False,
            auto_reload=True,
            keep_trailing_newline=False,
        )
        # what every template may say: the citizen's lookup page (LOOKUP_URL), where an
        # electronic result is downloaded
        self.env.globals["lookup_url"] = lookup_url or ""
        self.env.filters["dong"] = money_text  # {{ amount | dong }}: "75.000 đồng"
        self.versions = {}  # id of a loaded template -> version

    def render(self, event_type, channel, context):
        """(template name, version, text)."""
        name = f"{event_type}.{channel}.j2"
        template = self.env.get_template(name)  # reloaded when the file changed
        version = self.versions.get(id(template))
        if version is None:
            source = Path(str(template.filename)).read_bytes()
            version = self.versions[id(template)] = hashlib.sha256(source).hexdigest()[:12]
        return name, version, template.render(**context).strip()
