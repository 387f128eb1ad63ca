"""payments' commands for `motcua`: `motcua payments reconcile --date D [--json]`."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    payments = sub.add_parser("payments", help="payments: reconciliation", description="The payments service's tools.")
    actions = payments.add_subparsers(dest="payments_command", required=True, metavar="ACTION")
    reconcile = actions.add_parser(
        "reconcile",
        help="compare a day's payments with the gateway's list and the post office's collected fees",
        description="Compare the online payments recorded on DATE (Vietnam's time) with the payment gateway's "
        "own list of that day (missing on either side, amount or status differing), and the fees the post "
        "office collected with the pickups handed over that day. Prints every difference; exits 1 when there "
        "is one, 2 when the gateway cannot be asked.",
    )
    reconcile.add_argument("--date", required=True, type=date.fromisoformat, help="the day, YYYY-MM-DD")
    reconcile.add_argument("--json", action="store_true", help="print JSON for machines")
    reconcile.set_defaults(func=cmd_reconcile)


def _postal_pickups(day: date) -> list[dict[str, Any]]:
    """The pickups postal handed over on `day`, read from postal's database (read only:
    postal offers no list of them; the operator's tool may look, a service may not)."""
    import sqlalchemy as sa

    from services.payments.adapters.queries import day_bounds
    from services.postal.adapters.orm import shipments
    from shared import db

    start, end = day_bounds(day)
    engine = db.make_engine(db.database_url("postal"), pool_size=1)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("shipments"):
                return []
            rows = conn.execute(
                sa.select(shipments.c.id, shipments.c.fees_to_collect, shipments.c.fees_collected).where(
                    shipments.c.purpose == "pickup",
                    shipments.c.handed_over_at >= start,
                    shipments.c.handed_over_at < end,
                )
            ).all()
    finally:
        engine.dispose()
    return [dict(row._mapping) for row in rows]


def cmd_reconcile(args: argparse.Namespace) -> None:
    from services.payments.adapters import queries
    from services.payments.adapters.gateway import HttpGateway
    from services.payments.application import GatewayError
    from services.payments.domain import reconciliation
    from shared import migrations
    from shared.config import load_config

    day: date = args.date
    sessions = migrations.migrated_sessions("payments")
    try:
        with sessions.transaction() as session:
            ours = queries.paid_on(session, day, method="online")
    finally:
        sessions.engine.dispose()
    try:
        theirs = HttpGateway.from_config(load_config("payments")).transactions(day)
    except GatewayError as exc:
        print(f"motcua payments reconcile: the gateway cannot be asked: {exc}", file=sys.stderr)
        sys.exit(2)
    pickups = _postal_pickups(day)
    found = reconciliation.payment_differences(ours, theirs) + reconciliation.postal_fee_differences(pickups)
    if args.json:
        print(
            json.dumps(
                {
                    "date": day.isoformat(),
                    "payments": len(ours),
                    "gateway_transactions": len(theirs),
                    "pickups": len(pickups),
                    "differences": [vars(d) for d in found],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        print(
            f"Đối soát ngày {day:%d-%m-%Y}: {len(ours)} giao dịch trực tuyến ở đây, {len(theirs)} ở cổng thanh toán, "
            f"{len(pickups)} hồ sơ thu gom qua bưu điện"
        )
        for difference in found:
            print(difference.line())
        print(f"{len(found)} chênh lệch" if found else "Khớp: không có chênh lệch")
    if found:
        sys.exit(1)
