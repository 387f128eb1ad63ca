"""A real SMTP server for the tests (aiosmtpd), run as its own process: it appends
every message it accepts to a JSON-lines file. Recipients whose name starts with
`busy` get 450 (try later), `nobody` gets 550 (no such mailbox). With --cert,
--key, --user and --password it requires STARTTLS and a login.

    python -m tests.notify.smtp_server --port PORT --out FILE [--cert C --key K --user U --password P]
"""

import argparse
import json
import ssl
import time
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Recorder:
    def __init__(self, out):
        self.out = out

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("busy"):
            return "450 4.2.1 mailbox busy, try again later"
        if address.startswith("nobody"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        mail = message_from_bytes(envelope.content, policy=policy.default)
        with open(self.out, "a", encoding="utf-8") as f:
            f.write(
                json.dumps(
                    {
                        "from": envelope.mail_from,
                        "to": envelope.rcpt_tos,
                        "subject": mail["Subject"],
                        "message_id": mail["Message-ID"],
                        "body": mail.get_content(),
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--user")
    parser.add_argument("--password")
    args = parser.parse_args()
    secure = {}
    if args.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (auth_data.login.decode(), auth_data.password.decode()) == (args.user, args.password)
            return AuthResult(success=ok, handled=False)  # not handled: the server answers 535 itself

        secure = {
            "tls_context": context,
            "require_starttls": True,
            "authenticator": authenticator,
            "auth_required": True,
            "auth_require_tls": True,
        }
    controller = Controller(Recorder(args.out), hostname="127.0.0.1", port=args.port, **secure)
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
