"""A record outside the flow's view on the other side is never a match."""

from __future__ import annotations

from ledgerbridge.domain.config import ViewFilter
from ledgerbridge.domain.planner import Create, Update
from ledgerbridge.domain.records import Side
from tests.unit.domain.builders import books, crm
from tests.unit.domain.planning import plan_one, with_

CUSTOMERS = with_(views=(ViewFilter(side=Side.BOOKS, equals={"Type": "customer"}),))


def test_a_same_named_partner_outside_the_view_is_not_linked() -> None:
    vendor = books("b1", Name="Acme Ltd", Type="vendor")
    action = plan_one(Side.CRM, crm("c1", Account_Name="Acme Ltd"), flow=CUSTOMERS, others=[vendor])
    assert isinstance(action, Create)


def test_a_same_named_partner_inside_the_view_is_linked() -> None:
    customer = books("b1", Name="Acme Ltd", Type="customer")
    action = plan_one(
        Side.CRM, crm("c1", Account_Name="Acme Ltd"), flow=CUSTOMERS, others=[customer]
    )
    assert isinstance(action, Update) and action.books.id == "b1"
