"""web's commands for `motcua`: staff accounts."""

import argparse
import sys

from shared import clock, config

ROLES = ("counter", "officer", "admin")


def cmd_user_add(args):
    from services.web import application
    from services.web.adapters.passwords import Argon2Hasher
    from shared.domain import DomainError

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        import getpass

        password = getpass.getpass("Mật khẩu: ")
        if getpass.getpass("Nhập lại mật khẩu: ") != password:
            sys.exit("motcua user add: hai lần nhập mật khẩu không khớp")
    from services.web.adapters.repository import WebWork
    from shared import migrations

    sessions = migrations.migrated_sessions(config.WEB)
    try:
        with sessions.work(WebWork) as work:
            account = application.add_account(
                work,
                Argon2Hasher(),
                username=args.username,
                full_name=args.full_name or args.username,
                role=args.role,
                agency=args.agency,
                department=args.department,
                password=password,
                now=clock.now(),
            )
    except DomainError as exc:
        details = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.fields.items())
        sys.exit(f"motcua user add: {exc.message}" + (f" ({details})" if details else ""))
    finally:
        sessions.engine.dispose()
    where = account.agency or account.department or ""
    print(f"added {account.username} ({account.role}{', ' + where if where else ''})")


def cmd_user_list(args):
    from services.web.adapters.repository import WebWork
    from shared import migrations

    sessions = migrations.migrated_sessions(config.WEB)
    try:
        with sessions.work(WebWork) as work:
            accounts = work.accounts.all()
            now = clock.now()
            rows = [
                (
                    a.username,
                    a.full_name,
                    str(a.role),
                    a.agency or a.department or "",
                    "locked" if a.locked_at(now) else ("active" if a.active else "disabled"),
                )
                for a in accounts
            ]
    finally:
        sessions.engine.dispose()
    print(f"{'username':<24} {'role':<8} {'agency/department':<18} {'state':<8} full name")
    for username, full_name, role, where, state in rows:
        print(f"{username:<24} {role:<8} {where:<18} {state:<8} {full_name}")
    print(f"{len(rows)} account(s)")


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    user = sub.add_parser(
        "user", help="staff accounts of the web screens", description="Add and list the staff who sign in to the web."
    )
    user_sub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = user_sub.add_parser(
        "add",
        help="add a staff account",
        description="Add an account (password hashed with Argon2id). A counter officer needs --agency, "
        "a department officer --department.",
    )
    add.add_argument("--username", required=True, help="sign-in name: lower-case letters, digits, . _ -")
    add.add_argument("--full-name", help="the person's full name (default: the username)")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--agency", help="agency code, for a counter officer (e.g. 000.00.06.H56)")
    add.add_argument("--department", help="department code, for an officer (e.g. QLDT)")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of standard input"
    )
    add.set_defaults(func=cmd_user_add)
    listing = user_sub.add_parser("list", help="list the staff accounts", description="List every staff account.")
    listing.set_defaults(func=cmd_user_list)
