"""What notify's rules refuse."""

from shared.domain import NotFound, Unavailable


class UnknownMessage(NotFound):
    """A delivery receipt names no message of ours."""

    code = "unknown_message"

    def __init__(self) -> None:
        super().__init__("Không có tin nhắn này")


class RecipientNotKnownYet(Unavailable):
    """An event about a dossier whose contacts (dossier_received) have not arrived
    yet: the event is tried again later, by then they are known."""

    code = "recipient_not_known_yet"

    def __init__(self, dossier_code: str) -> None:
        super().__init__(f"no recipient known yet for {dossier_code}")
