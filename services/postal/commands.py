"""postal's commands for `motcua`."""
import logging
import os


def register(sub):
    sim = sub.add_parser("carrier-sim", help="run the postal carrier simulator",
                         description="A local HTTP server that plays the postal carrier: takes orders and "
                                     "sends signed tracking callbacks.")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=int(os.environ.get("MOTCUA_CARRIER_SIM_PORT", 8010)))
    sim.add_argument("--secret", default=os.environ.get("MOTCUA_CARRIER_SECRET", "dev-carrier-secret"),
                     help="HMAC secret for callbacks (MOTCUA_CARRIER_SECRET)")
    sim.add_argument("--step-seconds", type=float, default=2.0, help="seconds between tracking updates")
    sim.add_argument("--failure-rate", type=float, default=0.0, help="probability that a delivery attempt fails")
    sim.set_defaults(func=cmd_carrier_sim)


def cmd_carrier_sim(args):
    from services.postal.simulator import CarrierSimulator, make_server
    logging.basicConfig(level=logging.INFO, format="carrier-sim: %(message)s")
    sim = CarrierSimulator(args.secret, step_seconds=args.step_seconds, failure_rate=args.failure_rate)
    server = make_server(sim, args.host, args.port)
    print(f"carrier simulator on http://{args.host}:{args.port} (step {args.step_seconds}s, "
          f"failure rate {args.failure_rate})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
