"""intake's domain: the dossier register (sổ theo dõi hồ sơ), the procedure
catalogue and the calendar overrides, with the rules of reception. Framework-free:
no web, broker or database layer is imported here."""
