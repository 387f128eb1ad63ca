"""portal's commands for `motcua`: `motcua portal reconcile`, `motcua portal
catalog-pull`, `motcua portal staleness`. They use the connector's database and talk
to the portal and to intake as the service does (its configuration, its variables)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from typing import Any


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    portal = sub.add_parser(
        "portal",
        help="the national public service portal: reconcile statuses, pull the catalogue",
        description="The connector to the national public service portal (Cổng Dịch vụ công quốc gia): "
        "it uses MOTCUA_NATIONAL_PORTAL_URL, MOTCUA_PORTAL_SECRET, MOTCUA_PORTAL_PROVINCE and intake's address.",
    )
    actions = portal.add_subparsers(dest="portal_command", required=True, metavar="ACTION")
    reconcile = actions.add_parser(
        "reconcile",
        help="compare the statuses the portal holds with the register's and resend the difference",
        description="For every dossier with a status change (since --since), ask the portal which statuses "
        "it holds; the ones it lacks are sent again, in order, by the running connector. Prints each "
        "difference; exits 1 when there was one, 2 when the portal cannot be asked.",
    )
    reconcile.add_argument(
        "--since", type=date.fromisoformat, help="only dossiers with a status change from this day (YYYY-MM-DD)"
    )
    reconcile.add_argument("--json", action="store_true", help="print JSON for machines")
    reconcile.set_defaults(func=cmd_reconcile)
    pull = actions.add_parser(
        "catalog-pull",
        help="bring the local catalogue in step with the national one (all or nothing)",
        description="Read the province's procedures from the national catalogue, turn them into one "
        "catalogue import (new versions, expiries) and apply it all or nothing through intake. What "
        "cannot be mapped is listed and left alone. Exits 1 when something could not be mapped or the "
        "import was refused, 2 when the portal or intake cannot be reached.",
    )
    pull.add_argument("--dry-run", action="store_true", help="show what would change and change nothing")
    pull.add_argument("--json", action="store_true", help="print the report as JSON")
    pull.set_defaults(func=cmd_catalog_pull)
    stale = actions.add_parser(
        "staleness",
        help="list every difference between the local catalogue and the national one",
        description="Compare the procedures offered here today with the national catalogue and list every "
        "difference (only here, only upstream, expired upstream, fields that differ). Changes nothing; "
        "exits 1 when there is a difference.",
    )
    stale.add_argument("--json", action="store_true", help="print JSON for machines")
    stale.set_defaults(func=cmd_staleness)


def _clients() -> tuple[Any, Any]:
    from services.portal.adapters.intake import IntakeApi
    from services.portal.adapters.national import NationalPortal
    from shared.config import load_config

    config = load_config("portal")
    return NationalPortal.from_config(config), IntakeApi.from_config(config)


def _works():
    from services.portal.adapters.repository import PortalWork
    from shared import migrations

    sessions = migrations.migrated_sessions("portal")
    return sessions, lambda: sessions.work(PortalWork)


def cmd_reconcile(args: argparse.Namespace) -> None:
    from services.portal import application
    from services.portal.domain.errors import PortalRefused, PortalUnavailable
    from shared import clock

    portal, _ = _clients()
    since = datetime.combine(args.since, datetime.min.time(), tzinfo=clock.TZ) if args.since else None
    sessions, works = _works()
    try:
        found = application.reconcile(works, portal, since)
    except (PortalUnavailable, PortalRefused) as exc:
        print(f"motcua portal reconcile: the portal cannot be asked: {exc}", file=sys.stderr)
        sys.exit(2)
    finally:
        sessions.engine.dispose()
    if args.json:
        print(json.dumps(vars(found), ensure_ascii=False, indent=2))
    else:
        print(f"Đối chiếu {found.dossiers} hồ sơ với Cổng Dịch vụ công quốc gia")
        for status_id in found.resent:
            print(f"  gửi lại: {status_id} (Cổng chưa có)")
        for status_id in found.unknown:
            print(f"  Cổng có nhưng sổ không có: {status_id}")
        if found.owed:
            print(f"  {len(found.owed)} trạng thái đang chờ gửi (kết nối đang gửi hoặc đang tạm dừng)")
        print(
            f"{len(found.resent)} gửi lại, {len(found.unknown)} chỉ có trên Cổng"
            if found.resent or found.unknown
            else "Khớp: Cổng có mọi trạng thái đã gửi"
        )
    if found.resent or found.unknown:
        sys.exit(1)


def _print_differences(differences: list[dict[str, Any]], unmapped: list[dict[str, Any]]) -> None:
    kinds = {
        "only_national": "chỉ có trên CSDL quốc gia",
        "only_local": "chỉ có ở đây",
        "expired_upstream": "đã hết hiệu lực trên CSDL quốc gia",
        "different": "khác nhau",
    }
    for item in differences:
        print(f"  {item['code']} {item['name']}: {kinds.get(item['kind'], item['kind'])}")
        for name, values in (item.get("fields") or {}).items():
            print(f"      {name}: ở đây {values.get('local')!r}, quốc gia {values.get('national')!r}")
    for item in unmapped:
        print(f"  KHÔNG ÁP DỤNG ĐƯỢC {item['code']} {item.get('name') or ''}: {'; '.join(item['problems'])}")


def cmd_catalog_pull(args: argparse.Namespace) -> None:
    from services.portal import application
    from shared import clock

    portal, intake = _clients()
    sessions, works = _works()
    try:
        report = application.pull_catalogue(
            works, portal, intake, clock.now(), "motcua portal catalog-pull", args.dry_run
        )
    finally:
        sessions.engine.dispose()
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    else:
        print(f"Đồng bộ danh mục với CSDL quốc gia{' (xem trước)' if args.dry_run else ''}: {report['outcome']}")
        if report.get("error"):
            print(f"  {report['error']}")
        _print_differences(report.get("differences", []), report.get("unmapped", []))
        applied = report.get("applied") or {}
        for bucket in ("added", "changed", "expired"):
            for item in applied.get(bucket, []):
                print(f"  {bucket}: {item['code']} {item['name']} (phiên bản {item.get('version')})")
    if report["outcome"] == "unreachable":
        sys.exit(2)
    if report["outcome"] == "refused" or report.get("unmapped"):
        sys.exit(1)


def cmd_staleness(args: argparse.Namespace) -> None:
    from services.portal import application
    from services.portal.domain.errors import CatalogueUnavailable
    from shared import clock

    portal, intake = _clients()
    today = clock.local(clock.now()).date()
    try:
        comparison = application.compare_catalogues(portal, intake, today)
    except CatalogueUnavailable as exc:
        print(f"motcua portal staleness: {exc.message}", file=sys.stderr)
        sys.exit(2)
    if args.json:
        print(
            json.dumps(
                {"on": today.isoformat(), "differences": comparison.differences, "unmapped": comparison.unmapped},
                ensure_ascii=False,
                indent=2,
                default=str,
            )
        )
    else:
        print(f"Danh mục ngày {today:%d-%m-%Y} so với CSDL quốc gia: {len(comparison.differences)} khác biệt")
        _print_differences(comparison.differences, comparison.unmapped)
    if comparison.differences:
        sys.exit(1)
