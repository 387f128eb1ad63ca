"""postal's unit tier: shipments kept in memory, units of work over them, a scripted
carrier and a clock the test moves."""

from contextlib import contextmanager
from datetime import datetime, timedelta

from services.postal.application import CarrierError
from services.postal.domain.model import Pickup, Purpose, ShipmentStatus, parse_reference
from services.postal.domain.policies import PostalRules
from shared.calendar import WorkingCalendar
from shared.clock import TZ
from tests.unit.fakes import FakeWork

HAI_PHONG = {"province": "Hải Phòng", "district": "Ngô Quyền"}
RULES = PostalRules(origins={"*": HAI_PHONG})
FRIDAY = datetime(2026, 11, 27, 9, 0, tzinfo=TZ)
CODE = "000.00.06.H56-261126-0001"
ADDRESS = "15 Lạch Tray, Ngô Quyền, Hải Phòng"
CORRELATION = "c0ffee00-0000-0000-0000-000000000000"


class FakeShipments:
    """The repository over a dict, with the database's unique constraints asserted."""

    def __init__(self, store, work):
        self.store, self.work = store, work

    def _tracked(self, shipment):
        return self.work.track(shipment) if shipment is not None else None

    def get(self, shipment_id, for_update=False):
        return self._tracked(self.store.get(shipment_id))

    def get_pickup(self, pickup_id, for_update=False):
        found = self.store.get(pickup_id)
        return self._tracked(found if isinstance(found, Pickup) else None)

    def by_waybill(self, waybill, for_update=False):
        return self._tracked(next((s for s in self.store.values() if s.waybill == waybill), None))

    def by_reference(self, reference, for_update=False):
        parsed = parse_reference(reference)
        if parsed is None:
            return None
        purpose, key = parsed
        if purpose == Purpose.PICKUP:
            return self.get_pickup(key)
        return self._tracked(
            next((s for s in self.store.values() if s.purpose == purpose and s.dossier_code == key), None)
        )

    def by_request_key(self, request_key):
        return self._tracked(next((s for s in self.store.values() if s.request_key == request_key), None))

    def add(self, shipment):
        assert shipment.id not in self.store
        assert not shipment.request_key or self.by_request_key(shipment.request_key) is None, "unique request_key"
        self.store[shipment.id] = shipment
        return self.work.track(shipment)

    def add_result(self, shipment):
        known = self.by_reference(shipment.reference)
        return known if known is not None else self.add(shipment)

    def due_for_order(self, now, limit=50):
        due = sorted(
            (s for s in self.store.values() if s.status == ShipmentStatus.PENDING and s.next_try_at <= now),
            key=lambda s: s.next_try_at,
        )
        return [s.id for s in due[:limit]]


class FakePostalWork(FakeWork):
    source = "postal"

    def __init__(self, store, calendar=None):
        super().__init__()
        self.shipments = FakeShipments(store, self)
        self.calendar = calendar or WorkingCalendar()


class Postal:
    """What postal's database would hold, and units of work over it: `with
    postal.work() as work` commits (events into `outbox`) unless the block raises."""

    def __init__(self, calendar=None):
        self.store = {}
        self.outbox = []
        self.calendar = calendar or WorkingCalendar()
        self.commits = 0

    @contextmanager
    def work(self):
        work = FakePostalWork(self.store, self.calendar)
        yield work
        self.outbox.extend(work.commit())
        self.commits += 1

    def event_types(self):
        return [str(e.event_type) for e in self.outbox]


class FakeCarrier:
    """The carrier as the use cases see it: idempotent on our reference, down when told."""

    def __init__(self):
        self.orders = {}  # reference -> {"waybill", "postage"}
        self.requests = []
        self.cancelled = []
        self.down = False
        self.late = False  # takes the order but the answer never arrives (a timeout)

    def create_order(self, reference, kind, address, callback_url, collect_amount=0):
        self.requests.append((reference, kind, address, collect_amount))
        if self.down:
            raise CarrierError("carrier answered 503: down")
        order = self.orders.setdefault(
            reference, {"waybill": f"EB{len(self.orders) + 1:09d}VN", "postage": 25000 if kind == "delivery" else 30000}
        )
        if self.late:
            raise CarrierError("carrier unreachable: ReadTimeout")
        return dict(order)

    def cancel(self, waybill):
        if self.down:
            raise CarrierError("carrier answered 503: down")
        self.cancelled.append(waybill)
        return {"waybill": waybill, "cancelled": True}


class Clock:
    def __init__(self, now=FRIDAY):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += timedelta(seconds=seconds)
