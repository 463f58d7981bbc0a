"""Value maps completed from the organisation's catalogue (its tax rates)."""

from __future__ import annotations

from ledgerbridge.domain.catalogues import complete_map, resolve_catalogues
from ledgerbridge.domain.config import FieldRule, FlowConfig, RequiredRule, ValueMapTransform
from ledgerbridge.domain.records import Side

RATES = {"GST on Income": "OUTPUT", "OUTPUT": "OUTPUT", "No GST": "NONE", "NONE": "NONE"}


def test_static_entries_the_organisation_lacks_are_dropped_and_its_names_added() -> None:
    got = complete_map({"GST": "OUTPUT", "VAT": "OUTPUT2"}, RATES)
    assert got == {
        "GST": "OUTPUT",
        "GST on Income": "OUTPUT",
        "OUTPUT": "OUTPUT",
        "No GST": "NONE",
        "NONE": "NONE",
    }
    assert "VAT" not in got


def test_a_static_name_wins_over_a_catalogue_name_of_another_case() -> None:
    got = complete_map({"no gst": "NONE"}, RATES)
    assert next(iter(got)) == "no gst"
    assert "No GST" not in got


def test_the_required_rule_lists_the_names_the_organisation_allows() -> None:
    flow = FlowConfig(
        name="products",
        crm_module="Products",
        books_module="Items",
        fields=(
            FieldRule(
                crm="Tax",
                books="SalesDetails.TaxType",
                direction="crm_to_books",
                transform=ValueMapTransform(map={"GST": "OUTPUT", "VAT": "X"}, catalogue="t"),
            ),
        ),
        required=(
            RequiredRule(
                side=Side.CRM,
                field="Tax",
                check="one_of",
                values=("GST", "VAT"),
                message="Product has no Tax that maps: pick one of GST, VAT",
            ),
        ),
    )
    seen: list[str] = []

    def read(name: str) -> dict[str, str]:
        seen.append(name)
        return RATES

    out = resolve_catalogues(flow, read)
    assert seen == ["t"]
    transform = out.fields[0].transform
    assert isinstance(transform, ValueMapTransform)
    assert "VAT" not in transform.map
    rule = out.required[0]
    assert "VAT" not in rule.values and "OUTPUT" in rule.values
    assert rule.message == "Product has no Tax that maps: pick one of GST, GST on Income, No GST"
    # No catalogue known: the flow stays as written.
    assert resolve_catalogues(flow, lambda _n: {}).fields == flow.fields
