"""intake's commands for `motcua`: the catalogue and the calendar, straight on
intake's database (the running service publishes the events they owe)."""
import json
import sys
from datetime import date


def register(sub):
    catalog = sub.add_parser("catalog", help="the procedure catalogue",
                             description="Import and inspect the procedure catalogue (danh mục thủ tục).")
    catalog_sub = catalog.add_subparsers(dest="catalog_command", required=True, metavar="ACTION")
    imp = catalog_sub.add_parser("import", help="import a catalogue file (all or nothing)",
                                 description="Import a catalogue JSON file: prints what was added, changed "
                                             "(new version), expired, unchanged and missing from the file. "
                                             "A file with any problem changes nothing.")
    imp.add_argument("file", help="catalogue file (JSON, the format of CONTRACT.md)")
    imp.set_defaults(func=cmd_catalog_import)
    listing = catalog_sub.add_parser("list", help="procedures in effect on a day",
                                     description="List the procedure versions in effect on a day (today by default).")
    listing.add_argument("--at", type=date.fromisoformat, help="the day, YYYY-MM-DD")
    listing.set_defaults(func=cmd_catalog_list)

    calendar = sub.add_parser("calendar", help="working-day calendar overrides",
                              description="Administrator overrides on top of the official holidays: an extra "
                                          "day off, or a make-up working day. Each edit is announced to the "
                                          "other services (calendar_changed).")
    cal_sub = calendar.add_subparsers(dest="calendar_command", required=True, metavar="ACTION")
    cal_list = cal_sub.add_parser("list", help="show the overrides", description="Show the overrides and their version.")
    cal_list.set_defaults(func=cmd_calendar_list)
    for name, kind, text in (("day-off", "day_off", "add an extra day off"),
                             ("working-day", "working_day", "add a make-up working day")):
        add = cal_sub.add_parser(name, help=text, description=f"{text[0].upper()}{text[1:]} (replaces any "
                                                                "override of that day).")
        add.add_argument("day", type=date.fromisoformat, help="the day, YYYY-MM-DD")
        add.add_argument("--note", default="", help="why (e.g. the decision that moved the day)")
        add.add_argument("--by", default="motcua-cli", help="who makes the change (default motcua-cli)")
        add.set_defaults(func=cmd_calendar_set, kind=kind)
    remove = cal_sub.add_parser("remove", help="remove the override of a day",
                                description="Remove a day's override: the official calendar applies again.")
    remove.add_argument("day", type=date.fromisoformat, help="the day, YYYY-MM-DD")
    remove.set_defaults(func=cmd_calendar_remove)


def _unit_of_work():
    from shared import db, migrations
    url = db.database_url("intake")
    migrations.upgrade("intake", url)
    return db.UnitOfWork(db.make_engine(url, pool_size=1))


def _print(body):
    from shared.http import to_json
    print(json.dumps(json.loads(to_json(body)), ensure_ascii=False, indent=2))


def _run(action):
    """Run action(session) in one transaction; an ApiError is printed and exits 1."""
    from shared.http import ApiError
    uow = _unit_of_work()
    try:
        with uow.transaction() as session:
            return action(session)
    except ApiError as exc:
        _print({"error": {"code": exc.code, "message": exc.message, "fields": exc.fields}})
        sys.exit(1)
    finally:
        uow.engine.dispose()


def cmd_catalog_import(args):
    from shared import clock
    from services.intake import catalog
    try:
        with open(args.file, encoding="utf-8") as f:
            document = json.load(f)
    except (OSError, ValueError) as exc:
        sys.exit(f"motcua catalog import: cannot read {args.file}: {exc}")
    answer = _run(lambda session: catalog.import_catalogue(session, document, clock.now().date()))
    _print(answer)
    print(", ".join(f"{len(v)} {k}" for k, v in answer.items()), file=sys.stderr)


def cmd_catalog_list(args):
    from shared import clock
    from services.intake import catalog
    day = args.at or clock.now().date()
    for v in _run(lambda session: catalog.listed_on(session, day)):
        print(f"{v.code} v{v.version}  {v.duration_days:>3} ngày  {v.name}")


def cmd_calendar_list(args):
    from services.intake import calendar_admin
    _print(_run(calendar_admin.listing))


def cmd_calendar_set(args):
    from services.intake import calendar_admin
    _print(_run(lambda session: (lambda o, v: {"version": v, **calendar_admin.override_view(o)})(
        *calendar_admin.set_override(session, args.day, args.kind, args.note, args.by))))


def cmd_calendar_remove(args):
    from services.intake import calendar_admin
    _print({"version": _run(lambda session: calendar_admin.remove_override(session, args.day)), "removed": args.day})
