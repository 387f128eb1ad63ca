"""The dossier's citizen-facing status [Decree 61/2018 Art. 15-20] and its order.

Events from other services may arrive late or twice; a status never moves back:
a later stage wins over an earlier one, and within a stage the newer event wins.
"""

# status -> (number at the national portal, stage)
STATUSES = {
    "submitted": (1, 0),
    "received": (2, 1),
    "in_progress": (4, 2),
    "supplement_requested": (5, 2),
    "awaiting_payment": (6, 2),
    "result_ready": (9, 3),
    "refused": (3, 9),
    "withdrawn": (7, 9),
    "rejected": (8, 9),
    "returned": (10, 9),
}
FINAL_STAGE = 9


def portal_number(status):
    return STATUSES[status][0]


def may_move(current, current_at, new, new_at):
    """True when an event saying `new` (as of new_at) should replace `current`."""
    current_stage, new_stage = STATUSES[current][1], STATUSES[new][1]
    if current_stage == FINAL_STAGE:
        return False
    if new_stage != current_stage:
        return new_stage > current_stage
    return new_at >= current_at  # e.g. in_progress again: the next department took it
