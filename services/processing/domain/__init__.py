"""processing's domain: the case (a dossier as the departments work on it), its tasks
and hand-offs, the legal deadlines, the refusals and the events they record."""
