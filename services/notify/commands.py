"""notify's commands for `motcua`."""
import logging
import os


def register(sub):
    sim = sub.add_parser("sms-gateway-sim", help="run a local SMS gateway simulator",
                         description="A local HTTP server that plays an SMS gateway for notify's http SMS "
                                     "backend (MOTCUA_SMS_BACKEND=http): takes messages, drops repeated "
                                     "Idempotency-Keys, and sends signed delivery receipts.")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8011)
    sim.add_argument("--key", default=os.environ.get("MOTCUA_SMS_GATEWAY_KEY", ""),
                     help="API key the gateway requires (MOTCUA_SMS_GATEWAY_KEY); empty: none")
    sim.add_argument("--secret", default=os.environ.get("MOTCUA_SMS_GATEWAY_SECRET", ""),
                     help="HMAC secret of delivery receipts (MOTCUA_SMS_GATEWAY_SECRET)")
    sim.add_argument("--receipt-url", default=None,
                     help="where to send delivery receipts (notify's /api/sms/receipts)")
    sim.set_defaults(func=cmd_gateway_sim)


def cmd_gateway_sim(args):
    from services.notify.gateway_sim import GatewaySimulator, make_server
    logging.basicConfig(level=logging.INFO, format="sms-gateway-sim: %(message)s")
    server = make_server(GatewaySimulator(args.key, args.receipt_url, args.secret), args.host, args.port)
    print(f"SMS gateway simulator on http://{args.host}:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
