"""`motcua serve` builds its parser before it monkey-patches the standard library for
eventlet: a module imported then stays unpatched, and an unpatched ssl makes every
HTTPS call of the service (S3, a gateway) recurse until it crashes. Building the
parser must import neither ssl nor the database layer (each command imports what it
needs when it runs)."""

import subprocess
import sys

from shared.config import ROOT


def test_building_the_command_line_imports_no_ssl_and_no_database_layer():
    probe = "import sys, shared.cli as c; c.build_parser(); print(sorted({'ssl', 'sqlalchemy'} & set(sys.modules)))"
    printed = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert printed.stdout.strip() == "[]"
