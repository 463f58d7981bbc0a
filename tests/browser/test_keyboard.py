"""The portal by keyboard alone: log in, move through the navigation, see where the focus is."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Shots, Site


def test_log_in_and_navigate_with_the_keyboard_only(page: Page, site: Site, shots: Shots) -> None:
    page.goto(f"{site.url}/login")
    # The e-mail field has the focus when the page opens.
    expect(page.get_by_label("E-mail address")).to_be_focused()
    page.keyboard.type(ADMIN_EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type(ADMIN_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard")

    # Tab reaches the navigation; the focused link is visibly marked; Enter follows it.
    for _ in range(12):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.textContent.trim()")
        if focused == "Connections":
            break
    else:
        raise AssertionError("Tab never reached the Connections link")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none"), "the focused link shows no outline"
    shots.take(page, "focus")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/connections$"))


def test_a_wrong_password_is_refused_without_saying_whether_the_user_exists(
    page: Page, site: Site
) -> None:
    answers = []
    for email in (ADMIN_EMAIL, "nobody@example.com"):
        page.goto(f"{site.url}/login")
        page.get_by_label("E-mail address").fill(email)
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Log in").click()
        error = page.locator("#login-error")
        expect(error).to_be_visible()
        answers.append(error.inner_text())
    assert answers[0] == answers[1]
