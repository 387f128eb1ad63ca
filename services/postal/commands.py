"""postal's commands for `motcua`."""
import json
import logging
import os

from shared.secret_policy import DEV_CARRIER_SECRET


def _schedule(text):
    if text in ("auto", "manual"):
        return text
    return json.loads(text) if text.startswith("[") else [s.strip() for s in text.split(",") if s.strip()]


def register(sub):
    sim = sub.add_parser("carrier-sim", help="run the postal carrier simulator",
                         description="A local HTTP server that plays the postal carrier: takes orders and "
                                     "sends signed tracking callbacks. Tests steer it with POST /control.")
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on")
    sim.add_argument("--port", type=int, default=int(os.environ.get("MOTCUA_CARRIER_SIM_PORT", 8010)),
                     help="port to listen on (MOTCUA_CARRIER_SIM_PORT, default 8010)")
    sim.add_argument("--secret", default=os.environ.get("MOTCUA_CARRIER_SECRET", DEV_CARRIER_SECRET),
                     help="HMAC secret for callbacks (MOTCUA_CARRIER_SECRET; default: postal's development value)")
    sim.add_argument("--api-key", default=os.environ.get("MOTCUA_CARRIER_API_KEY"),
                     help="API key senders must present (MOTCUA_CARRIER_API_KEY; unset: any)")
    sim.add_argument("--step-seconds", type=float, default=2.0, help="seconds between tracking updates")
    sim.add_argument("--failure-rate", type=float, default=0.0, help="probability that a delivery attempt fails")
    sim.add_argument("--delay-seconds", type=float, default=0.0,
                     help="answer every order this late (a slow carrier)")
    sim.add_argument("--down", action="store_true", help="start 'down': answer orders with 503 until told otherwise")
    sim.add_argument("--schedule", type=_schedule, default="auto",
                     help="'auto' (by failure rate), 'manual' (callbacks only through POST /control/orders/"
                          "<waybill>/callback), or delivery steps, e.g. accepted,in_transit,delivered")
    sim.add_argument("--seed", type=int, default=None, help="random seed (waybills, failures)")
    sim.set_defaults(func=cmd_carrier_sim)


def cmd_carrier_sim(args):
    from services.postal.simulator import CarrierSimulator, make_server
    logging.basicConfig(level=logging.INFO, format="carrier-sim: %(message)s")
    sim = CarrierSimulator(args.secret, step_seconds=args.step_seconds, failure_rate=args.failure_rate,
                           seed=args.seed, api_key=args.api_key, delay_seconds=args.delay_seconds, down=args.down,
                           schedule=args.schedule)
    server = make_server(sim, args.host, args.port)
    print(f"carrier simulator on http://{args.host}:{args.port} (step {args.step_seconds}s, "
          f"failure rate {args.failure_rate}, schedule {args.schedule})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
