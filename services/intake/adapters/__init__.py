"""intake's adapters: the ORM mapping of the domain onto its tables, the
repositories and unit of work, the read side, and the printable documents."""
