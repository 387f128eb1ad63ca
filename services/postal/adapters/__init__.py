"""postal's adapters: the tables and their mapping, the repository and unit of work,
the read side, and the postal carrier's API."""
