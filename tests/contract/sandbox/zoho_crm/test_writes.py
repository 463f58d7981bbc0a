"""Insert, update, upsert and delete: per-record codes, batch statuses, triggers, line items."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from tests.contract.sandbox.zoho_crm.conftest import Crm, account, contact


def test_insert_all_good_is_201_with_details(crm: Crm) -> None:
    answer = crm.post("/Accounts", {"data": [account("Acme"), account("Globex")]})
    assert answer.status_code == 201
    first = answer.json()["data"][0]
    assert first["code"] == "SUCCESS"
    assert first["status"] == "success"
    assert first["message"] == "record added"
    assert set(first["details"]) == {
        "id",
        "Created_Time",
        "Modified_Time",
        "Created_By",
        "Modified_By",
    }
    assert first["details"]["Created_Time"] == "2026-03-10T12:00:00+00:00"


def test_mixed_batch_is_207_with_each_code(crm: Crm) -> None:
    [acme] = crm.insert("Accounts", account("Acme"))
    crm.insert("Contacts", contact("Taken", "taken@acme.test"))
    answer = crm.post(
        "/Contacts",
        {
            "data": [
                contact("Good", "good@acme.test", Account_Name={"id": acme}),
                {"First_Name": "No last name"},
                contact("Dup", "TAKEN@acme.test"),
                contact("Bad lookup", Account_Name={"id": "6051205000009999999"}),
                contact("Bad type", Add_to_Xero="yes"),
            ]
        },
    )
    assert answer.status_code == 207
    good, missing, duplicate, lookup, bad_type = answer.json()["data"]
    assert good["code"] == "SUCCESS"
    assert missing == {
        "code": "MANDATORY_NOT_FOUND",
        "details": {"api_name": "Last_Name", "json_path": "$.data[1].Last_Name"},
        "message": "required field not found",
        "status": "error",
    }
    assert duplicate["code"] == "DUPLICATE_DATA"
    assert duplicate["details"]["api_name"] == "Email"
    taken = crm.state.storage.select("r.module = 'Contacts' AND r.doc LIKE '%taken@%'", [])[0]
    assert duplicate["details"]["duplicate_record"]["id"] == taken.id
    assert duplicate["details"]["duplicate_record"]["module"]["api_name"] == "Contacts"
    assert lookup["code"] == "INVALID_DATA"
    assert lookup["details"]["api_name"] == "Account_Name"
    assert lookup["details"]["json_path"] == "$.data[3].Account_Name"
    assert bad_type["code"] == "INVALID_DATA"
    assert bad_type["details"]["json_path"] == "$.data[4].Add_to_Xero"
    assert crm.state.count("Contacts") == 2


def test_all_failed_is_400(crm: Crm) -> None:
    answer = crm.post("/Vendors", {"data": [{"Email": "v@x.test"}, {"Vendor_Name": ""}]})
    assert answer.status_code == 400
    assert [item["code"] for item in answer.json()["data"]] == ["MANDATORY_NOT_FOUND"] * 2


def test_several_problems_in_one_record(crm: Crm) -> None:
    answer = crm.post("/Contacts", {"data": [{"Email": "not-an-email", "Add_to_Xero": 1}]})
    [item] = answer.json()["data"]
    assert item["code"] == "MULTIPLE_OR_MULTI_ERRORS"
    codes = sorted(error["code"] for error in item["details"]["errors"])
    assert codes == ["INVALID_DATA", "INVALID_DATA", "MANDATORY_NOT_FOUND"]


def test_more_than_a_hundred_records_are_refused(crm: Crm) -> None:
    answer = crm.post("/Accounts", {"data": [account(f"A{n}") for n in range(101)]})
    assert answer.status_code == 400
    assert answer.json()["code"] == "LIMIT_EXCEEDED"
    assert answer.json()["details"] == {"limit": 100}
    assert crm.state.count("Accounts") == 0
    assert (
        crm.post("/Accounts", {"data": [account(f"A{n}") for n in range(100)]}).status_code == 201
    )


def test_update_by_body_ids_and_by_path(crm: Crm) -> None:
    first, second = crm.insert("Accounts", account("Acme"), account("Globex"))
    crm.clock.advance(60)
    answer = crm.put(
        "/Accounts",
        {"data": [{"id": first, "Phone": "555"}, {"id": second, "Xero_ID": "x-1"}]},
    )
    assert answer.status_code == 200
    assert [item["message"] for item in answer.json()["data"]] == ["record updated"] * 2
    assert answer.json()["data"][0]["details"]["Modified_Time"] == "2026-03-10T12:01:00+00:00"
    assert answer.json()["data"][0]["details"]["Created_Time"] == "2026-03-10T12:00:00+00:00"
    single = crm.put(f"/Accounts/{first}", {"data": [{"Account_Name": "Acme Ltd"}]})
    assert single.status_code == 200
    stored = crm.state.get("Accounts", first)
    assert stored is not None
    assert (stored["Account_Name"], stored["Phone"]) == ("Acme Ltd", "555")
    assert crm.state.get("Accounts", second)["Xero_ID"] == "x-1"  # type: ignore[index]


def test_update_unknown_id_and_clearing_a_mandatory_field(crm: Crm) -> None:
    [acme] = crm.insert("Accounts", account("Acme"))
    answer = crm.put(
        "/Accounts",
        {"data": [{"id": "6051205000009999999", "Phone": "1"}, {"id": acme, "Account_Name": None}]},
    )
    assert answer.status_code == 400
    unknown, cleared = answer.json()["data"]
    assert unknown["code"] == "INVALID_DATA"
    assert unknown["details"]["api_name"] == "id"
    assert cleared["code"] == "MANDATORY_NOT_FOUND"


def test_upsert_inserts_and_updates_by_duplicate_check_fields(crm: Crm) -> None:
    [known] = crm.insert("Contacts", contact("Known", "known@x.test"))
    answer = crm.post(
        "/Contacts/upsert",
        {
            "data": [contact("Known Again", "KNOWN@x.test"), contact("New", "new@x.test")],
            "duplicate_check_fields": ["Email"],
            "trigger": [],
        },
    )
    assert answer.status_code == 200
    updated, inserted = answer.json()["data"]
    assert (updated["action"], updated["duplicate_field"], updated["details"]["id"]) == (
        "update",
        "Email",
        known,
    )
    assert inserted["action"] == "insert"
    assert "duplicate_field" not in inserted
    assert crm.state.get("Contacts", known)["Last_Name"] == "Known Again"  # type: ignore[index]
    only_new = crm.post("/Accounts/upsert", {"data": [account("Fresh")]})
    assert only_new.status_code == 201


def test_upsert_uses_the_module_default_duplicate_check(crm: Crm) -> None:
    [acme] = crm.insert("Accounts", account("Acme"))
    answer = crm.post("/Accounts/upsert", {"data": [account("acme", Phone="9")]})
    assert answer.json()["data"][0]["details"]["id"] == acme
    assert answer.json()["data"][0]["duplicate_field"] == "Account_Name"


def test_trigger_suppression_is_recorded(crm: Crm) -> None:
    crm.post("/Accounts", {"data": [account("Quiet")], "trigger": []})
    assert crm.state.workflow_runs == 0
    crm.post("/Accounts", {"data": [account("Loud 1"), account("Loud 2")]})
    assert crm.state.workflow_runs == 2
    crm.post("/Accounts", {"data": [account("Approval only")], "trigger": ["approval"]})
    assert crm.state.workflow_runs == 2
    assert crm.state.trigger_requests == [
        [],
        ["workflow", "approval", "blueprint"],
        ["approval"],
    ]


def test_body_without_content_type_and_numeric_ids_are_read(crm: Crm) -> None:
    # the spec describes JSON bodies with string ids only, so this goes around the validator
    headers = {"Authorization": f"Zoho-oauthtoken {crm.token}"}
    raw = json.dumps({"data": [account("Plain body")]}).encode()
    answer = crm.raw.post("/crm/v8/Accounts", content=raw, headers=headers)
    assert "content-type" not in answer.request.headers
    assert answer.status_code == 201
    ident = answer.json()["data"][0]["details"]["id"]
    numeric = json.dumps({"data": [{"id": int(ident), "Phone": "12"}]}).encode()
    assert crm.raw.put("/crm/v8/Accounts", content=numeric, headers=headers).status_code == 200
    assert crm.state.get("Accounts", ident)["Phone"] == "12"  # type: ignore[index]


def test_products_code_is_unique_and_accounts_name_is_not(crm: Crm) -> None:
    crm.insert("Products", {"Product_Name": "Widget", "Product_Code": "W-1"})
    again = crm.post("/Products", {"data": [{"Product_Name": "Widget 2", "Product_Code": "w-1"}]})
    assert again.json()["data"][0]["code"] == "DUPLICATE_DATA"
    assert again.json()["data"][0]["details"]["api_name"] == "Product_Code"
    assert crm.post("/Accounts", {"data": [account("Same"), account("Same")]}).status_code == 201


def test_invoice_line_items_totals_and_auto_number(crm: Crm) -> None:
    [acme] = crm.insert("Accounts", account("Acme"))
    widget, gadget = crm.insert(
        "Products",
        {"Product_Name": "Widget", "Product_Code": "W", "Unit_Price": 10},
        {"Product_Name": "Gadget", "Product_Code": "G", "Unit_Price": 99.5},
    )
    answer = crm.post(
        "/Invoices",
        {
            "data": [
                {
                    "Subject": "March",
                    "Account_Name": {"id": acme},
                    "Invoiced_Items": [
                        {"Product_Name": {"id": widget}, "Quantity": 3, "Discount": 5, "Tax": 2.5},
                        {"Product_Name": {"id": gadget}, "Quantity": 2, "List_Price": 50},
                    ],
                    "Adjustment": 1,
                }
            ]
        },
    )
    assert answer.status_code == 201
    ident = answer.json()["data"][0]["details"]["id"]
    invoice = crm.get(f"/Invoices/{ident}").json()["data"][0]
    assert invoice["Invoice_Number"] == "INV-1001"
    first, second = invoice["Invoiced_Items"]
    assert first["Product_Name"] == {"name": "Widget", "id": widget}
    assert (first["List_Price"], first["Total"]) == (10.0, 27.5)
    assert second["Total"] == 100.0
    assert len(first["id"]) == 19
    assert (invoice["Sub_Total"], invoice["Tax"], invoice["Grand_Total"]) == (125.0, 2.5, 128.5)

    crm.put(
        f"/Invoices/{ident}",
        {
            "data": [
                {
                    "Invoiced_Items": [
                        {"id": first["id"], "Quantity": 1},
                        {"id": second["id"], "_delete": None},
                    ]
                }
            ]
        },
    )
    changed = crm.get(f"/Invoices/{ident}").json()["data"][0]
    assert [item["Total"] for item in changed["Invoiced_Items"]] == [7.5]
    assert changed["Grand_Total"] == 8.5
    second_invoice = crm.post(
        "/Invoices",
        {
            "data": [
                {
                    "Subject": "April",
                    "Account_Name": {"id": acme},
                    "Invoiced_Items": [{"Product_Name": {"id": widget}}],
                }
            ]
        },
    )
    new_id = second_invoice.json()["data"][0]["details"]["id"]
    assert crm.state.get("Invoices", new_id)["Invoice_Number"] == "INV-1002"  # type: ignore[index]


def test_invoice_mandatory_items_and_unknown_product(crm: Crm) -> None:
    [acme] = crm.insert("Accounts", account("Acme"))
    answer = crm.post(
        "/Invoices",
        {
            "data": [
                {"Subject": "No items", "Account_Name": {"id": acme}},
                {
                    "Subject": "Ghost",
                    "Account_Name": {"id": acme},
                    "Invoiced_Items": [{"Product_Name": {"id": "6051205000009999999"}}],
                },
            ]
        },
    )
    no_items, ghost = answer.json()["data"]
    assert no_items["details"]["api_name"] == "Invoiced_Items"
    assert ghost["code"] == "INVALID_DATA"
    assert ghost["details"]["json_path"] == "$.data[1].Invoiced_Items[0].Product_Name"


def test_purchase_order_needs_vendor(crm: Crm) -> None:
    [product] = crm.insert("Products", {"Product_Name": "Bolt", "Unit_Price": 1})
    [vendor] = crm.insert("Vendors", {"Vendor_Name": "Bolts Inc"})
    answer = crm.post(
        "/Purchase_Orders",
        {
            "data": [
                {
                    "Subject": "PO",
                    "Purchase_Items": [{"Product_Name": {"id": product}, "Quantity": 5}],
                },
                {
                    "Subject": "PO 2",
                    "Vendor_Name": {"id": vendor},
                    "Purchase_Items": [{"Product_Name": {"id": product}, "Quantity": 5}],
                },
            ]
        },
    )
    missing, good = answer.json()["data"]
    assert missing["details"]["api_name"] == "Vendor_Name"
    order = crm.state.get("Purchase_Orders", good["details"]["id"])
    assert order is not None
    assert (order["PO_Number"], order["Grand_Total"]) == ("PO-1001", 5.0)
    assert order["Vendor_Name"] == {"name": "Bolts Inc", "id": vendor}


def test_delete_and_deleted_listing(crm: Crm) -> None:
    first, second, third = crm.insert("Accounts", account("A"), account("B"), account("C"))
    crm.clock.advance(30)
    answer = crm.delete("/Accounts", params={"ids": f"{first},{second}"})
    assert answer.status_code == 200
    assert [item["message"] for item in answer.json()["data"]] == ["record deleted"] * 2
    crm.state.delete("Accounts", third, permanent=True)
    listing = crm.get("/Accounts/deleted", params={"type": "all"}).json()
    assert {item["id"] for item in listing["data"]} == {first, second, third}
    recycled = crm.get("/Accounts/deleted", params={"type": "recycle"}).json()["data"]
    assert {item["id"] for item in recycled} == {first, second}
    assert recycled[0]["deleted_time"] == "2026-03-10T12:00:30+00:00"
    assert recycled[0]["type"] == "recycle"
    permanent = crm.get("/Accounts/deleted", params={"type": "permanent"}).json()["data"]
    assert [item["display_name"] for item in permanent] == ["C"]
    assert crm.get("/Contacts/deleted").status_code == 204
    assert crm.get("/Accounts", params={"fields": "id"}).status_code == 204


def test_parallel_writers_get_distinct_ids(crm: Crm) -> None:
    crm.client.put("/_sandbox/limits", json={"enabled": False})

    def write(worker: int) -> list[str]:
        batch = [account(f"W{worker}-{n}") for n in range(20)]
        answer = crm.post("/Accounts", {"data": batch, "trigger": []})
        assert answer.status_code == 201
        return [item["details"]["id"] for item in answer.json()["data"]]

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = [ident for batch in pool.map(write, range(8)) for ident in batch]
    assert len(set(ids)) == 160
    assert crm.state.count("Accounts") == 160


def test_resending_line_items_without_ids_adds_them(crm: Crm) -> None:
    [acme] = crm.insert("Accounts", account("Acme"))
    [widget] = crm.insert("Products", {"Product_Name": "Widget", "Unit_Price": 10})
    items = [{"Product_Name": {"id": widget}, "Quantity": 1}]
    [ident] = crm.insert(
        "Invoices", {"Subject": "S", "Account_Name": {"id": acme}, "Invoiced_Items": items}
    )
    crm.put(f"/Invoices/{ident}", {"data": [{"Invoiced_Items": items}]})
    invoice = crm.state.get("Invoices", ident)
    assert invoice is not None
    assert len(invoice["Invoiced_Items"]) == 2
    assert invoice["Grand_Total"] == 20.0
