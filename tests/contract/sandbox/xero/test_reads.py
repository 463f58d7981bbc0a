"""Reads: paging, If-Modified-Since by the second, order, IDs and where over HTTP."""

from __future__ import annotations

from tests.contract.sandbox.xero.conftest import Xero


def _seed(xero: Xero, count: int) -> list[dict[str, object]]:
    made = []
    for n in range(count):
        made.append(xero.state.add_contact(Name=f"Contact {n:03d}", EmailAddress=f"c{n}@x.example"))
        xero.clock.advance(0.5)
    return made


def test_pages_with_pagination_block(xero: Xero) -> None:
    _seed(xero, 25)
    first = xero.get("/Contacts", params={"page": 1, "pageSize": 10}).json()
    assert first["pagination"] == {"page": 1, "pageSize": 10, "pageCount": 3, "itemCount": 25}
    last = xero.get("/Contacts", params={"page": 3, "pageSize": 10}).json()
    assert [c["Name"] for c in last["Contacts"]] == [f"Contact {n:03d}" for n in range(20, 25)]
    beyond = xero.get("/Contacts", params={"page": 4, "pageSize": 10}).json()
    assert beyond["Contacts"] == []
    default = xero.get("/Contacts", params={"page": 1}).json()
    assert default["pagination"]["pageSize"] == 100
    capped = xero.get("/Contacts", params={"page": 1, "pageSize": 5000}).json()
    assert capped["pagination"]["pageSize"] == 1000
    assert "pagination" not in xero.get("/Items").json()


def test_if_modified_since_is_inclusive_by_the_second(xero: Xero) -> None:
    # records at 09:00:00.0, 09:00:00.5, 09:00:01.0, 09:00:01.5 ...
    _seed(xero, 6)

    def names(since: str) -> list[str]:
        answer = xero.get("/Contacts", headers={"If-Modified-Since": since})
        return [c["Name"][-1] for c in answer.json()["Contacts"]]

    assert names("2030-05-01T09:00:01Z") == ["2", "3", "4", "5"]
    # fractions are cut to the second, so the record at 09:00:01.0 is still included
    assert names("2030-05-01T09:00:01.900Z") == ["2", "3", "4", "5"]
    assert names("2030-05-01T09:00:02+00:00") == ["4", "5"]
    assert names("2030-05-01T21:00:02+12:00") == ["4", "5"]
    assert names("2030-05-01T09:00:03Z") == []


def test_if_modified_since_accepts_an_http_date(xero: Xero) -> None:
    # the spec types the header as date-time, so this call skips spec validation
    _seed(xero, 4)
    answer = xero.raw.get(
        "/api.xro/2.0/Contacts", headers={"If-Modified-Since": "Wed, 01 May 2030 09:00:01 GMT"}
    )
    assert [c["Name"] for c in answer.json()["Contacts"]] == ["Contact 002", "Contact 003"]


def test_order_ids_and_where(xero: Xero) -> None:
    made = _seed(xero, 5)
    newest_first = xero.get("/Contacts", params={"order": "UpdatedDateUTC DESC"}).json()
    assert newest_first["Contacts"][0]["Name"] == "Contact 004"
    by_name = xero.get("/Contacts", params={"order": "Name DESC"}).json()["Contacts"]
    assert [c["Name"] for c in by_name][:2] == ["Contact 004", "Contact 003"]
    by_email = xero.get("/Contacts", params={"order": "EmailAddress ASC"}).json()["Contacts"]
    assert by_email[0]["EmailAddress"] == "c0@x.example"
    ids = ",".join(str(c["ContactID"]) for c in made[1:3])
    picked = xero.get("/Contacts", params={"IDs": ids}).json()["Contacts"]
    assert sorted(c["Name"] for c in picked) == ["Contact 001", "Contact 002"]
    where = 'EmailAddress=="C3@X.EXAMPLE" || Name.StartsWith("contact 00") && Name.EndsWith("1")'
    found = xero.get("/Contacts", params={"where": where}).json()["Contacts"]
    assert sorted(c["Name"] for c in found) == ["Contact 001", "Contact 003"]


def test_where_with_quotes_and_fifty_terms(xero: Xero) -> None:
    xero.state.add_contact(Name='The "Quoted" Co')
    _seed(xero, 60)
    quoted = xero.get("/Contacts", params={"where": 'Name=="The ""Quoted"" Co"'}).json()
    assert [c["Name"] for c in quoted["Contacts"]] == ['The "Quoted" Co']
    terms = " || ".join(f'Name=="Contact {n:03d}"' for n in range(10, 60))
    found = xero.get("/Contacts", params={"where": terms}).json()["Contacts"]
    assert len(found) == 50


def test_malformed_where_answers_query_parse_exception(xero: Xero) -> None:
    for text in ('Name=="The \\"Quoted\\" Co"', 'Name=="open', 'Colour=="red"'):
        answer = xero.get("/Contacts", params={"where": text})
        assert answer.status_code == 400
        body = answer.json()
        assert (body["ErrorNumber"], body["Type"]) == (16, "QueryParseException")
    assert "Colour" in answer.json()["Message"]
    bad_order = xero.get("/Contacts", params={"order": "Shoe ASC"})
    assert bad_order.json()["Type"] == "QueryParseException"


def test_settings_endpoints(xero: Xero) -> None:
    organisation = xero.get("/Organisation").json()["Organisations"][0]
    assert organisation["BaseCurrency"] == "NZD"
    assert organisation["OrganisationID"] == xero.state.tenant_id
    rates = {r["TaxType"]: r["EffectiveRate"] for r in xero.get("/TaxRates").json()["TaxRates"]}
    assert rates["OUTPUT"] == 15.0
    assert rates["NONE"] == 0.0
    accounts = xero.get("/Accounts", params={"where": 'Type=="REVENUE"'}).json()["Accounts"]
    assert {a["Code"] for a in accounts} == {"200", "260"}
    themes = xero.get("/BrandingThemes").json()["BrandingThemes"]
    assert themes[0]["Name"] == "Standard"
