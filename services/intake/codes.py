"""Dossier codes [Circular 01/2018/TT-VPCP Art. 19]: <agency>-<YYMMDD>-<NNNN>.

The counter row for (agency, day) is incremented inside the transaction that stores
the dossier: concurrent receptions queue on that row, and a rolled-back reception
gives its number back, so codes stay unique and gap-free.
"""
from shared.db import dialect_insert
from services.intake.models import CodeSequence


def next_code(session, agency_code, moment):
    day = moment.strftime("%y%m%d")
    insert = dialect_insert(session)(CodeSequence.__table__).values(agency_code=agency_code, day=day, last=1)
    number = session.execute(
        insert.on_conflict_do_update(index_elements=["agency_code", "day"],
                                     set_={"last": CodeSequence.__table__.c.last + 1})
        .returning(CodeSequence.__table__.c.last)).scalar_one()
    return f"{agency_code}-{day}-{number:04d}"
