"""payments' adapters: the tables and their mapping, the repositories and unit of
work, the read side, and the payment gateway's HTTP API."""
