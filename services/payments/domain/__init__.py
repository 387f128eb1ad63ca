"""payments' domain: what a dossier owes (the obligation of a stage), the orders that
pay it (online through the gateway, or at the counter) and the rules that make a
payment count once. Framework-free: the time and the gateway's reports come in as
arguments; money is whole đồng (int), never a float."""
