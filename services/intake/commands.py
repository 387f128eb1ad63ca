"""intake's commands for `motcua`: the catalogue and the calendar, straight on
intake's database (the running service publishes the events they owe)."""

import json
import sys
from datetime import date


def register(sub):
    catalog = sub.add_parser(
        "catalog",
        help="the procedure catalogue",
        description="Import and inspect the procedure catalogue (danh mục thủ tục).",
    )
    catalog_sub = catalog.add_subparsers(dest="catalog_command", required=True, metavar="ACTION")
    imp = catalog_sub.add_parser(
        "import",
        help="import a catalogue file (all or nothing)",
        description="Import a catalogue JSON file: prints what was added, changed "
        "(new version), expired, unchanged and missing from the file. "
        "A file with any problem changes nothing.",
    )
    imp.add_argument("file", help="catalogue file (JSON, the format of CONTRACT.md)")
    imp.set_defaults(func=cmd_catalog_import)
    listing = catalog_sub.add_parser(
        "list",
        help="procedures in effect on a day",
        description="List the procedure versions in effect on a day (today by default).",
    )
    listing.add_argument("--at", type=date.fromisoformat, help="the day, YYYY-MM-DD")
    listing.set_defaults(func=cmd_catalog_list)

    calendar = sub.add_parser(
        "calendar",
        help="working-day calendar overrides",
        description="Administrator overrides on top of the official holidays: an extra "
        "day off, or a make-up working day. Each edit is announced to the "
        "other services (calendar_changed).",
    )
    cal_sub = calendar.add_subparsers(dest="calendar_command", required=True, metavar="ACTION")
    cal_list = cal_sub.add_parser(
        "list", help="show the overrides", description="Show the overrides and their version."
    )
    cal_list.set_defaults(func=cmd_calendar_list)
    for name, kind, text in (
        ("day-off", "day_off", "add an extra day off"),
        ("working-day", "working_day", "add a make-up working day"),
    ):
        add = cal_sub.add_parser(
            name, help=text, description=f"{text[0].upper()}{text[1:]} (replaces any override of that day)."
        )
        add.add_argument("day", type=date.fromisoformat, help="the day, YYYY-MM-DD")
        add.add_argument("--note", default="", help="why (e.g. the decision that moved the day)")
        add.add_argument("--by", default="motcua-cli", help="who makes the change (default motcua-cli)")
        add.set_defaults(func=cmd_calendar_set, kind=kind)
    remove = cal_sub.add_parser(
        "remove",
        help="remove the override of a day",
        description="Remove a day's override: the official calendar applies again.",
    )
    remove.add_argument("day", type=date.fromisoformat, help="the day, YYYY-MM-DD")
    remove.set_defaults(func=cmd_calendar_remove)


def _sessions():
    from shared import db, migrations

    url = db.database_url("intake")
    migrations.upgrade("intake", url)
    return db.Sessions(db.make_engine(url, pool_size=1))


def _print(body):
    from shared.http import to_json

    print(json.dumps(json.loads(to_json(body)), ensure_ascii=False, indent=2))


def _run(action):
    """Run action(work) in one unit of work (IntakeWork); a refusal is printed as the
    API would answer it and exits 1."""
    from services.intake.adapters.repository import IntakeWork
    from shared.domain import DomainError
    from shared.errors import http_error
    from shared.http import ApiError

    sessions = _sessions()
    try:
        with sessions.work(IntakeWork) as work:
            return action(work)
    except (ApiError, DomainError) as exc:
        code, message, fields = (
            (exc.code, exc.message, exc.fields) if isinstance(exc, ApiError) else http_error(exc)[1:]
        )
        _print({"error": {"code": code, "message": message, "fields": fields}})
        sys.exit(1)
    finally:
        sessions.engine.dispose()


def cmd_catalog_import(args):
    from services.intake import application
    from services.intake.schemas import catalogue_entries
    from shared import clock

    try:
        with open(args.file, encoding="utf-8") as f:
            document = json.load(f)
    except (OSError, ValueError) as exc:
        sys.exit(f"motcua catalog import: cannot read {args.file}: {exc}")
    answer = _run(lambda work: application.import_catalogue(work, catalogue_entries(document), clock.now().date()))
    _print(answer)
    print(", ".join(f"{len(v)} {k}" for k, v in answer.items()), file=sys.stderr)


def cmd_catalog_list(args):
    from services.intake.adapters import queries
    from shared import clock

    day = args.at or clock.now().date()
    for v in _run(lambda work: queries.listed_on(work.session, day)):
        print(f"{v.code} v{v.version}  {v.duration_days:>3} ngày  {v.name}")


def cmd_calendar_list(args):
    from services.intake.adapters import queries

    _print(_run(lambda work: queries.calendar_overrides(work.session)))


def cmd_calendar_set(args):
    from services.intake import application
    from services.intake.adapters import queries
    from shared import clock

    def set_override(work):
        override, version = application.set_calendar_override(
            work, args.day, args.kind, args.note, args.by, clock.now()
        )
        return {"version": version, **queries.override_view(override)}

    _print(_run(set_override))


def cmd_calendar_remove(args):
    from services.intake import application

    _print({"version": _run(lambda work: application.remove_calendar_override(work, args.day)), "removed": args.day})
