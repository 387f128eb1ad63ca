"""intake's commands for `motcua`: the catalogue, the calendar, the agencies, the
file store's sweep and the statistics' rebuild, straight on intake's database (the
running service publishes the events they owe)."""

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
        "(new version), expired, unchanged and missing from the file, and the agencies it "
        "configures (its `agencies` list). A file with any problem changes nothing.",
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

    agency = sub.add_parser(
        "agency",
        help="receiving agencies' configuration",
        description="The receiving agencies (cơ quan tiếp nhận) as the forms print them: the name and "
        'address on Forms 01-03, the place name of their dates ("Hải Phòng, ngày ... tháng ... năm ...") '
        "and the title of the head who signs the agency's letters (Form 04). The catalogue file's "
        "`agencies` list sets them too.",
    )
    agency_sub = agency.add_subparsers(dest="agency_command", required=True, metavar="ACTION")
    agency_set = agency_sub.add_parser(
        "set",
        help="add or change an agency",
        description="Add an agency, or change one: options left out keep their value "
        "(for a new agency: empty address and place, head's title THỦ TRƯỞNG CƠ QUAN).",
    )
    agency_set.add_argument("--code", required=True, help="agency code (QCVN 102:2016/BTTTT), e.g. 000.00.06.H56")
    agency_set.add_argument("--name", required=True, help='the agency\'s name, e.g. "UBND quận Lê Chân"')
    agency_set.add_argument("--address", help="its address, printed under its name")
    agency_set.add_argument("--place", help='the place name of the forms\' dates, e.g. "Hải Phòng"')
    agency_set.add_argument("--head-title", dest="head_title", help='the head\'s title for signatures, e.g. "CHỦ TỊCH"')
    agency_set.set_defaults(func=cmd_agency_set)
    agency_list = agency_sub.add_parser("list", help="show the agencies", description="Show every configured agency.")
    agency_list.set_defaults(func=cmd_agency_list)

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

    files = sub.add_parser(
        "files",
        help="the dossiers' file store",
        description="The file store of the dossiers' files (MOTCUA_FILES_URL; by default var/files).",
    )
    files_sub = files.add_subparsers(dest="files_command", required=True, metavar="ACTION")
    sweep = files_sub.add_parser(
        "sweep",
        help="delete stored files no dossier refers to",
        description="Delete every stored file that no dossier's file refers to and that was stored more "
        "than --grace-hours ago (24 by default: an upload stores its file before the dossier refers "
        "to it), printing the SHA-256 of each file deleted. intake also sweeps on a timer "
        "(FILES_SWEEP_SECONDS).",
    )
    sweep.add_argument("--grace-hours", type=float, default=24.0, help="keep what is younger (default 24)")
    sweep.set_defaults(func=cmd_files_sweep)

    stats = sub.add_parser(
        "stats",
        help="the statistics (Biểu 06) read model",
        description="The statistics of the register (Biểu số 06/VPCP/KSTT): one row of facts per dossier "
        "(dossier_facts), folded from the log of its lifecycle events (register_events).",
    )
    stats_sub = stats.add_subparsers(dest="stats_command", required=True, metavar="ACTION")
    rebuild = stats_sub.add_parser(
        "rebuild",
        help="recompute the dossiers' facts",
        description="Recompute dossier_facts in one transaction: replay register_events through the same "
        "fold the running service uses, and for the dossiers the log has nothing of (received before it "
        "existed) read the register (dossiers and dossier_history) as well as it can: it keeps one "
        "appointment per dossier (the last) and no apology's date. Prints its progress and what it did. "
        "Running it again gives the same table. Events intake records meanwhile wait until it is done.",
    )
    rebuild.set_defaults(func=cmd_stats_rebuild)


def _print(body):
    from shared.http import to_json

    print(json.dumps(json.loads(to_json(body)), ensure_ascii=False, indent=2))


def _run(action):
    """Run action(work) in one unit of work (IntakeWork); a refusal is printed as the
    API would answer it and exits 1."""
    from services.intake.adapters.repository import IntakeWork
    from shared import migrations
    from shared.domain import DomainError
    from shared.errors import http_error
    from shared.http import ApiError

    sessions = migrations.migrated_sessions("intake")
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
    from services.intake.schemas import catalogue_file
    from shared import clock

    try:
        with open(args.file, encoding="utf-8") as f:
            document = json.load(f)
    except (OSError, ValueError) as exc:
        sys.exit(f"motcua catalog import: cannot read {args.file}: {exc}")

    def import_file(work):
        loaded = catalogue_file(document)  # procedures and agencies: all or nothing
        return application.import_catalogue(work, loaded["procedures"], clock.now().date(), agencies=loaded["agencies"])

    answer = _run(import_file)
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


def cmd_agency_set(args):
    from services.intake import application
    from services.intake.schemas import AgencyEntry
    from shared.http import load

    given = {name: getattr(args, name) for name in ("code", "name", "address", "place", "head_title")}

    def set_agency(work):
        data = load(AgencyEntry, {k: v for k, v in given.items() if v is not None})  # 400 as the API answers
        # what the command left out keeps its stored value (the schema's defaults are for new agencies)
        kept = {k: (data[k] if given[k] is not None else None) for k in ("address", "place", "head_title")}
        return application.set_agency(work, data["code"], data["name"], **kept)

    _print(_run(set_agency))


def cmd_agency_list(args):
    from services.intake.adapters import queries

    _print(_run(lambda work: queries.agencies(work.session)))


def cmd_files_sweep(args):
    import os
    from datetime import timedelta

    from nameko.standalone.rpc import ClusterRpcProxy

    from services.intake.service import sweep_unreferenced
    from shared.config import DEFAULT_AMQP_URI
    from shared.files import file_store

    if args.grace_hours < 0:
        sys.exit("motcua files sweep: --grace-hours cannot be negative")
    from shared import migrations

    sessions = migrations.migrated_sessions("intake")
    try:
        # the store is shared: what processing's cases name as their result is kept too
        # (asked over RPC as intake: its reply queue is one intake's broker user may declare)
        class AsIntake(ClusterRpcProxy):
            class ServiceContainer(ClusterRpcProxy.ServiceContainer):
                service_name = "intake"

        with AsIntake({"AMQP_URI": os.environ.get("MOTCUA_AMQP_URI") or DEFAULT_AMQP_URI}, timeout=30) as rpc:
            removed = sweep_unreferenced(
                sessions,
                file_store(),
                timedelta(hours=args.grace_hours),
                also_referenced=rpc.processing.referenced_files,
            )
    finally:
        sessions.engine.dispose()
    for sha256 in removed:
        print(f"removed {sha256}")
    print(f"{len(removed)} unreferenced files removed", file=sys.stderr)


def cmd_stats_rebuild(args):
    from services.intake.adapters import statistics
    from shared import migrations

    sessions = migrations.migrated_sessions("intake")
    try:
        with sessions.transaction() as session:
            done = statistics.rebuild(session, progress=lambda line: print(line, file=sys.stderr, flush=True))
    finally:
        sessions.engine.dispose()
    print(
        f"dossier_facts rebuilt: {done['from_log'] + done['from_register']} dossiers "
        f"({done['from_log']} from {done['events']} logged events, {done['from_register']} from the register)"
    )
