"""Recipe options on the command line: chosen, exported, and refused with the choices named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from ledgerbridge.cli import app


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in __import__("os").environ if k.startswith("LEDGERBRIDGE_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("LEDGERBRIDGE_DATA_DIR", str(tmp_path / "data"))


def _cli(tmp_path: Path, *args: str) -> Result:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def _refused(tmp_path: Path, *args: str) -> str:
    """The reason a command was refused (``main`` prints it; in process it is raised)."""
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code != 0, result.output
    return str(result.exception)


def test_options_shape_the_flows_and_bad_ones_are_refused(tmp_path: Path) -> None:
    _cli(tmp_path, "connection", "add", "crm", "--system", "memory")
    _cli(tmp_path, "connection", "add", "books", "--system", "memory")
    made = _cli(
        tmp_path,
        "integration", "create", "zb", "--crm", "crm", "--books", "books",
        "--recipe", "zoho_books",
        "--option", "customers=contacts",
        "--option", "item_match=sku",
        "--option", "item_duplicates=skip",
    )  # fmt: skip
    assert "created" in made.output
    data = yaml.safe_load(_cli(tmp_path, "integration", "export", "zb").output)
    flows = {f["name"]: f for f in data["flows"]}
    assert flows["customers"]["enabled"] is False
    assert flows["individuals"].get("enabled", True) is True
    assert flows["items"]["match_keys"] == [
        {"crm": "Product_Code", "books": "sku", "kind": "code", "unique": True}
    ]
    # skip is the flow default, so the export leaves it out; the recipe's own is overwrite
    assert flows["items"].get("duplicate_policy", "skip") == "skip"
    assert flows["vendors"]["duplicate_policy"] == "overwrite"

    base = ("integration", "create", "x", "--crm", "crm", "--books", "books")
    bad = _refused(tmp_path, *base, "--recipe", "zoho_books", "--option", "customers=leads")
    assert "option customers cannot be 'leads'" in bad
    assert "accounts, contacts, accounts_and_contacts" in bad
    clone = ("--option", "item_match=sku", "--option", "item_duplicates=clone")
    refused = _refused(tmp_path, *base, "--recipe", "zoho_books", *clone)
    assert "cannot be cloned" in refused
    unknown = _refused(tmp_path, *base, "--recipe", "zoho_books", "--option", "colour=red")
    assert "no option 'colour'" in unknown
    shape = _refused(tmp_path, *base, "--recipe", "zoho_books", "--option", "customers")
    assert "KEY=VALUE" in shape
    other = _refused(tmp_path, *base, "--recipe", "starter", "--option", "a=b")
    assert "recipe starter takes no options" in other
