"""Batch writes: mixed results with and without summarizeErrors, Idempotency-Key replays."""

from __future__ import annotations

from tests.contract.sandbox.xero.conftest import Xero


def test_summarize_errors_false_answers_200_with_each_element_marked(xero: Xero) -> None:
    xero.state.add_contact(Name="Taken")
    answer = xero.put(
        "/Contacts",
        params={"summarizeErrors": "false"},
        json={"Contacts": [{"Name": "Fresh"}, {"Name": "Taken"}, {"Name": "Also fresh"}]},
    )
    assert answer.status_code == 200
    elements = answer.json()["Contacts"]
    assert [e["StatusAttributeString"] for e in elements] == ["OK", "ERROR", "OK"]
    assert elements[1]["HasValidationErrors"] is True
    assert "already assigned" in elements[1]["ValidationErrors"][0]["Message"]
    assert "ValidationErrors" not in elements[0]
    assert xero.state.count("contacts") == 3


def test_summarized_errors_answer_400_but_good_elements_are_written(xero: Xero) -> None:
    xero.state.add_item(Code="W1", Name="Widget")
    for params in ({}, {"summarizeErrors": "true"}):
        answer = xero.put(
            "/Items",
            params=params,
            json={"Items": [{"Code": f"OK-{len(params)}"}, {"Code": "W1"}]},
        )
        assert answer.status_code == 400
        body = answer.json()
        assert (body["ErrorNumber"], body["Type"]) == (10, "ValidationException")
        assert [e["ValidationErrors"] for e in body["Elements"]] == [
            [{"Message": "Price List Item with Code 'W1' already exists"}]
        ]
    codes = sorted(i["Code"] for i in xero.get("/Items").json()["Items"])
    assert codes == ["OK-0", "OK-1", "W1"]


def test_post_items_updates_by_code_and_checks_lengths(xero: Xero) -> None:
    item = xero.state.add_item(Code="W1", Name="Widget")
    answer = xero.post("/Items", json={"Items": [{"Code": "w1", "Name": "Widget Mk2"}]})
    assert answer.json()["Items"][0]["ItemID"] == item["ItemID"]
    assert answer.json()["Items"][0]["Name"] == "Widget Mk2"
    # the spec refuses these lengths too, so the request goes around its validation
    too_long = xero.raw.put(
        "/api.xro/2.0/Items",
        params={"summarizeErrors": "false"},
        json={"Items": [{"Code": "C" * 31}, {"Code": "N1", "Name": "N" * 51}]},
    )
    messages = [e["ValidationErrors"][0]["Message"] for e in too_long.json()["Items"]]
    assert messages == [
        "The Code field must not be more than 30 characters long.",
        "The Name field must not be more than 50 characters long.",
    ]


def test_idempotent_replay_returns_the_first_answer(xero: Xero) -> None:
    body = {"Contacts": [{"Name": "Once"}]}
    headers = {"Idempotency-Key": "create-once-1"}
    first = xero.put("/Contacts", json=body, headers=headers)
    xero.clock.advance(300)
    again = xero.put("/Contacts", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert xero.state.count("contacts") == 1
    # a different body under the same key is refused
    other = xero.put("/Contacts", json={"Contacts": [{"Name": "Twice"}]}, headers=headers)
    assert other.status_code == 400
    assert "Idempotency-Key" in other.text
    # after the window the key is fresh again
    xero.clock.advance(61)
    later = xero.put("/Contacts", json={"Contacts": [{"Name": "Twice"}]}, headers=headers)
    assert later.status_code == 200
    assert xero.state.count("contacts") == 2


def test_idempotent_replay_of_a_failed_batch_and_long_keys(xero: Xero) -> None:
    xero.state.add_contact(Name="Taken")
    headers = {"Idempotency-Key": "k" * 128}
    body = {"Contacts": [{"Name": "Taken"}]}
    first = xero.put("/Contacts", json=body, headers=headers)
    assert first.status_code == 400
    assert xero.put("/Contacts", json=body, headers=headers).json() == first.json()
    too_long = xero.put("/Contacts", json=body, headers={"Idempotency-Key": "k" * 129})
    assert too_long.status_code == 400
    assert "128" in too_long.text


def test_bad_json_is_a_post_data_error(xero: Xero) -> None:
    answer = xero.raw.put(
        "/api.xro/2.0/Contacts",
        content=b'{"Contacts": [',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.json()["Type"] == "PostDataInvalidException"
