"""The fee schedule of a procedure version: what it charges, in whole đồng, and when
each amount is due; and the categories of applicants the counter may exempt.

Law on Fees and Charges 2015: a lệ phí (charge) is collected for the State's
management work, a phí (fee) covers the cost of a service; the law and its decrees
name who is exempted. The one-stop counter collects them [Decree 61/2018/NĐ-CP].
Amounts are integers: đồng have no fractions, and a float would round.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared.domain import RuleBroken


class FeeKind(StrEnum):
    LE_PHI = "le_phi"  # lệ phí: exempted categories owe none of it
    PHI = "phi"  # phí: the cost of the service, owed by everyone


class FeeWhen(StrEnum):
    AT_SUBMISSION = "at_submission"
    BEFORE_PROCESSING = "before_processing"
    BEFORE_RETURN = "before_return"


KIND_WORDS = {FeeKind.LE_PHI: "Lệ phí", FeeKind.PHI: "Phí"}
WHEN_WORDS = {
    FeeWhen.AT_SUBMISSION: "Khi nộp hồ sơ",
    FeeWhen.BEFORE_PROCESSING: "Trước khi giải quyết",
    FeeWhen.BEFORE_RETURN: "Trước khi trả kết quả",
}

MAX_ITEMS = 20
MAX_EXEMPTIONS = 20
MAX_AMOUNT = 1_000_000_000  # đồng, one item: anything larger is a typing mistake
# what an old catalogue entry's single `fee` was: one lệ phí paid when submitting
SINGLE_FEE_NAME = "Lệ phí"


class UnknownExemption(RuleBroken):
    """An exemption the procedure version does not list."""

    code = "unknown_exemption"


@dataclass(frozen=True)
class FeeItem:
    name: str
    amount: int  # đồng
    kind: FeeKind
    when: FeeWhen

    @property
    def kind_words(self) -> str:
        return KIND_WORDS[self.kind]

    @property
    def when_words(self) -> str:
        return WHEN_WORDS[self.when]


@dataclass(frozen=True)
class Exemption:
    code: str  # e.g. ho_ngheo
    name: str  # e.g. Hộ nghèo


@dataclass(frozen=True)
class FeeSchedule:
    items: tuple[FeeItem, ...] = ()
    exemptions: tuple[Exemption, ...] = ()

    @classmethod
    def of(cls, fees: Iterable[Mapping[str, Any]], exemptions: Iterable[Mapping[str, Any]] = ()) -> FeeSchedule:
        """A schedule from the catalogue's items and exemptions (as stored)."""
        return cls(
            tuple(FeeItem(f["name"], f["amount"], FeeKind(f["kind"]), FeeWhen(f["when"])) for f in fees),
            tuple(Exemption(e["code"], e["name"]) for e in exemptions),
        )

    @property
    def total(self) -> int:
        return sum(item.amount for item in self.items)


def due(schedule: FeeSchedule, when: FeeWhen | str) -> int:
    """The sum due at that moment of the dossier's life."""
    return sum(item.amount for item in schedule.items if item.when == when)


def after_exemption(schedule: FeeSchedule, exemption_code: str | None) -> FeeSchedule:
    """What an applicant of that category owes: nothing of the lệ phí items, the phí
    items in full (Law on Fees and Charges 2015). The exempted items stay, at 0, so
    a receipt can say what was waived; no exemption changes nothing."""
    if exemption_code is None:
        return schedule
    if exemption_code not in {e.code for e in schedule.exemptions}:
        listed = ", ".join(f"{e.code} ({e.name})" for e in schedule.exemptions) or "không có"
        raise UnknownExemption(
            f"Thủ tục không có đối tượng miễn lệ phí {exemption_code}",
            {"exemption_code": [f"Đối tượng được miễn của thủ tục: {listed}"]},
        )
    return dataclasses.replace(
        schedule,
        items=tuple(
            dataclasses.replace(item, amount=0) if item.kind == FeeKind.LE_PHI else item for item in schedule.items
        ),
    )


def waived(schedule: FeeSchedule, exemption_code: str | None) -> list[FeeItem]:
    """The items an exemption waives, at their full amounts (what a receipt says was
    not charged)."""
    after = after_exemption(schedule, exemption_code).items
    return [item for item, kept in zip(schedule.items, after, strict=True) if item.amount and not kept.amount]


def single_fee(fee: int) -> list[dict[str, Any]]:
    """An old catalogue entry's one `fee` as the items of a schedule: a lệ phí due at
    submission, or no item when it is 0."""
    if not fee:
        return []
    return [{"name": SINGLE_FEE_NAME, "amount": fee, "kind": FeeKind.LE_PHI.value, "when": FeeWhen.AT_SUBMISSION.value}]
