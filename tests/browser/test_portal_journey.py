"""A person's first day with the portal, in a real browser against a served sandbox.

Log in; connect the sandbox's Zoho CRM and Xero through their OAuth flows; create an integration;
sync now and watch the progress; open the history and read why a record failed; fix the record
in the sandbox; retry it; see it succeed. Every page is saved as a screenshot.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Locator, Page, expect

from ledgerbridge.recipes.zoho_xero import PRODUCT_TAX
from tests.browser.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Shots, Site

PRODUCT = "Browser Widget"
CODE = "BW-001"


def log_in(page: Page, site: Site, shots: Shots) -> None:
    page.goto(f"{site.url}/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("E-mail address").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    shots.take(page, "01-login")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard")
    shots.take(page, "02-dashboard-empty")


def connect(page: Page, site: Site, shots: Shots, name: str, system: str) -> None:
    page.goto(f"{site.url}/connections")
    page.locator("#connection-new").click()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("System").select_option(system)
    page.get_by_label("A sandbox").check()
    page.get_by_label("Sandbox base URL").fill(site.sandbox.urls[system])
    shots.take(page, f"03-connect-{system}")
    # Saved, then sent to the sandbox's authorisation server and back with a code.
    page.locator("#connection-submit").click()
    if page.locator("#choose-form").count():
        shots.take(page, f"04-choose-{system}")
        page.locator("#choose-submit").click()
    expect(page).to_have_url(re.compile(r"/connections$"))
    row = page.locator(f"#connection-{name}")
    expect(row).to_be_visible()
    expect(row.get_by_role("button", name=f"Reconnect {name}")).to_be_visible()


def test_connect_sync_read_a_failure_fix_it_and_retry(page: Page, site: Site, shots: Shots) -> None:
    crm = site.sandbox.crm_state
    tax = next(iter(PRODUCT_TAX))
    # Ticked for Xero but without the code Xero matches items by: it must fail, with that reason.
    product = crm.create(
        "Products",
        {"Product_Name": PRODUCT, "Add_to_Xero": True, "Taxable": True, "Tax": tax},
    )

    log_in(page, site, shots)
    connect(page, site, shots, "crm", "zoho_crm")
    connect(page, site, shots, "xero", "xero")
    shots.take(page, "05-connections")

    page.goto(f"{site.url}/integrations/new")
    page.get_by_label("Name", exact=True).fill("acme")
    page.get_by_label("CRM connection").select_option("crm")
    page.get_by_label("Accounting connection").select_option("xero")
    page.get_by_label("Recipe").select_option("zoho_xero")
    shots.take(page, "06-integration-new")
    page.locator("#integration-submit").click()
    expect(page).to_have_url(re.compile(r"/integrations/acme"))
    shots.take(page, "07-integration")

    page.goto(f"{site.url}/integrations/acme/sync")
    page.get_by_label(re.compile("^Full")).check()
    page.get_by_role("button", name="Sync now").click()
    status = page.locator("#live-status")
    expect(status).to_contain_text(re.compile(r"Run \d+ "))
    shots.take(page, "08-sync-live")
    expect(status).to_contain_text(
        re.compile(r"Run \d+ (succeeded|partial|failed)"), timeout=90_000
    )
    expect(page.locator("#live-flows")).to_be_visible()
    assert page.locator("#live-progress").evaluate("bar => bar.value === bar.max")
    shots.take(page, "08-sync-finished")

    page.goto(f"{site.url}/history?integration=acme")
    shots.take(page, "09-history")
    first_run = _run_links(page).first.inner_text()
    _run_links(page).first.click()
    failures = page.locator("#failures")
    row = failures.locator("tr", has_text=PRODUCT)
    expect(row).to_be_visible()
    expect(row.locator(".reason")).to_contain_text("Product_Code")
    shots.take(page, "10-run-failures")
    page.locator("#failures").scroll_into_view_if_needed()
    shots.take(page, "10-run-failures-window", full_page=False)
    assert not _xero_items_named(site, PRODUCT)

    # The person fixes the record in the CRM, then retries it from the same page.
    crm.edit("Products", product["id"], {"Product_Code": CODE})
    row.get_by_role("button", name=f"Retry {PRODUCT}").click()
    expect(page.locator(".flash-success")).to_contain_text("queued to sync again")
    shots.take(page, "11-retry-queued")

    # The retry is a run of its own; once it is in the history, it shows the record created.
    newest = _run_links(page).first
    for _ in range(60):
        page.goto(f"{site.url}/history?integration=acme")
        if (
            newest.inner_text() != first_run
            and page.locator("#runs").get_by_text(re.compile("running|queued")).count() == 0
        ):
            break
        page.wait_for_timeout(500)
    assert newest.inner_text() != first_run, "the retry never showed up as a run"
    newest.click()
    expect(page.locator("#run-status")).to_have_text("succeeded")
    expect(page.locator("#no-failures")).to_be_visible()
    shots.take(page, "12-retry-succeeded")
    expect(page.locator("#run-counts")).to_contain_text("products")
    items = _xero_items_named(site, PRODUCT)
    assert [item["Code"] for item in items] == [CODE]

    # Every page of the integration, at desktop and at phone width: labelled, no sideways scroll.
    pages = {
        "dashboard": "/",
        "connections": "/connections",
        "integrations": "/integrations",
        "settings": "/integrations/acme/settings",
        "mapping": "/integrations/acme/flows/products/mapping",
        "sync": "/integrations/acme/sync",
        "history": "/history?integration=acme",
    }
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in pages.items():
            page.goto(f"{site.url}{path}")
            expect(page.locator("main")).to_be_visible()
            assert _unlabelled(page) == [], f"{name}: form controls without a label"
            assert _overflow(page) <= 0, f"{name} scrolls sideways at {width} px: {_widest(page)}"
            shots.take(page, f"13-{name}-{width}")
            if width == 1280:
                shots.take(page, f"14-{name}-window", full_page=False)


def _unlabelled(page: Page) -> list[str]:
    """Visible form controls that a screen reader could not name."""
    found: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea, button')]
            .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby') && !(el.tagName === 'BUTTON'
                && el.textContent.trim()))
            .map(el => el.outerHTML.slice(0, 120))"""
    )
    return found


def _overflow(page: Page) -> int:
    """How many pixels the page is wider than the window."""
    width: int = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return width


def _widest(page: Page) -> list[str]:
    """The elements that stick out of the window, innermost first (for the failure message)."""
    found: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
            .filter(el => !el.parentElement.closest('.table-wrap'))
            .reverse().slice(0, 3).map(el => el.outerHTML.slice(0, 160))"""
    )
    return found


def _run_links(page: Page) -> Locator:
    """Links to runs in the history, newest first."""
    return page.locator("#runs a").filter(has_text=re.compile(r"^#\d+"))


def _xero_items_named(site: Site, name: str) -> list[dict[str, Any]]:
    found = site.sandbox.xero_state.query("items").records
    return [item for item in found if item.get("Name") == name]
