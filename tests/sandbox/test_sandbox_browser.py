"""The sandbox in a real browser: headless Chromium (Debian's `chromium` and `chromium-driver`)
driven by Selenium, against `firebell sandbox` started as a user starts it.

A whole incident from the page: declare it from the message box, see the card, click
Acknowledge, see the card change and the thread reply, post an update through the modal (a
field error first, as Slack shows `response_action: errors`), resolve it through its form
with a summary; a direct-message pane and the person picker agree on whom you act as. Reset
keeps the page's and the bot's addresses working and starts time over. Every wait is an
explicit condition. The last screen is kept as
tests/artifacts/sandbox.png (CI keeps it; git ignores it).

Without Chromium the test is skipped with the reason; with FIREBELL_REQUIRE_BROWSER set (CI
sets it) a missing browser fails it instead.
"""

from __future__ import annotations

import os
import shutil
import urllib.request
from pathlib import Path

import pytest

from tests.support import sandbox_process

ROOT = Path(__file__).parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
WAIT = 20  # seconds any one condition may take; a 2-core CI machine runs Chromium slowly
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1440,900",
)


def _unavailable(reason: str):
    if os.environ.get("FIREBELL_REQUIRE_BROWSER"):
        pytest.fail(f"FIREBELL_REQUIRE_BROWSER is set, but {reason}")
    pytest.skip(f"browser test skipped: {reason} (apt-get install chromium chromium-driver)")


def _find(*names: str) -> str | None:
    return next((found for name in names if (found := shutil.which(name))), None)


@pytest.fixture
def sandbox_url(tmp_path):
    """`firebell sandbox` on a free port, in its own process, as a user runs it."""
    with sandbox_process.sandbox(tmp_path) as started:
        yield started


@pytest.fixture
def browser(tmp_path, monkeypatch):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium is not installed (pip install -e '.[dev]')")
    chromium = _find("chromium", "chromium-browser")
    driver = _find("chromedriver")
    if not chromium or not driver:
        _unavailable("headless Chromium is not installed")
    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must never download anything
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    session = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    try:
        yield session
    finally:
        session.quit()


def test_a_whole_incident_in_the_browser(browser, sandbox_url):
    from selenium.common.exceptions import (
        ElementClickInterceptedException,
        StaleElementReferenceException,
    )
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait

    flaky = (StaleElementReferenceException, ElementClickInterceptedException)
    wait = WebDriverWait(browser, WAIT, ignored_exceptions=flaky)

    def text_of(css: str) -> str:
        return " ".join(e.text for e in browser.find_elements(By.CSS_SELECTOR, css))

    def shows(css: str, words: str):
        wait.until(lambda _: words in text_of(css), f"{words!r} in {css}")

    def click(css: str):
        """Click once the element is there; cards re-render live, so retry a stale find."""
        wait.until(lambda b: b.find_element(By.CSS_SELECTOR, css).click() or True, f"click {css}")

    card = "#messages .msg:has(.b-header)"
    browser.get(sandbox_url.page)
    wait.until(lambda b: b.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
    Select(browser.find_element(By.ID, "user-select")).select_by_value("U0ALICE")
    shows("#pane-title", "# incidents")

    # declare from the message box: the card goes up
    box = browser.find_element(By.ID, "composer-input")
    box.send_keys(
        "/incident declare sev2 Checkout is failing for EU tenants tenant:acme" + Keys.ENTER
    )
    shows(f"{card} .b-header", "INC-1 · Checkout is failing for EU tenants")
    shows(card, "Declared, not yet acknowledged")
    shows("#messages .ephemeral", "Only visible to you")

    # Acknowledge: the card changes in place and the thread says who
    click(f'{card} [data-action-id="incident_ack"]')
    shows(card, "Acknowledged by @Alice Adams")
    wait.until(
        lambda b: not b.find_elements(By.CSS_SELECTOR, f'{card} [data-action-id="incident_ack"]')
    )
    click(f"{card} .thread-link")
    shows("#thread-messages", "acknowledged INC-1")

    # Post update: the modal opens; a bad ETA comes back as a field error; then it posts
    click(f'{card} [data-action-id="incident_update"]')
    wait.until(EC.visibility_of_element_located((By.ID, "modal")))
    shows("#modal-title", "Update INC-1")
    browser.find_element(By.CSS_SELECTOR, "#modal textarea").send_keys("Rolled back the deploy")
    eta = browser.find_element(By.CSS_SELECTOR, '#modal input[type="text"]')
    eta.send_keys("soon")
    click("#modal-submit")
    shows("#modal .has-error .b-error", "is not a duration")
    eta.clear()
    eta.send_keys("30m")
    click("#modal-submit")
    wait.until(EC.invisibility_of_element_located((By.ID, "modal-overlay")))
    shows("#thread-messages", "Update from @Alice Adams: Rolled back the deploy")
    shows(card, "ETA")

    # Resolve opens its form: an optional summary, shown on the card and in the thread
    click(f'{card} [data-action-id="incident_resolve"]')
    wait.until(EC.visibility_of_element_located((By.ID, "modal")))
    shows("#modal-title", "Resolve INC-1")
    browser.find_element(By.CSS_SELECTOR, "#modal textarea").send_keys("A bad deploy, rolled back")
    click("#modal-submit")
    wait.until(EC.invisibility_of_element_located((By.ID, "modal-overlay")))
    shows(card, "Resolved by @Alice Adams")
    shows(card, "Summary: A bad deploy, rolled back")
    wait.until(
        lambda b: b.find_elements(By.CSS_SELECTOR, f'{card} [data-action-id="incident_reopen"]')
    )
    shows("#thread-messages", "resolved INC-1")
    shows("#thread-messages", "Summary: A bad deploy, rolled back")

    # the picker and a direct-message pane agree on whom you act as
    paged = wait.until(
        lambda b: b.find_elements(By.CSS_SELECTOR, '#dm-list [data-nav^="D"] button'), "a page's DM"
    )[0]
    person = "U" + paged.find_element(By.XPATH, "..").get_attribute("data-nav")[1:]
    Select(browser.find_element(By.ID, "user-select")).select_by_value("U0SAM")
    click(f'#dm-list [data-nav="D{person[1:]}"] button')
    wait.until(lambda b: b.find_element(By.ID, "user-select").get_attribute("value") == person)
    name = Select(browser.find_element(By.ID, "user-select")).first_selected_option.text
    shows("#pane-sub", f"you act as {name.split(' · ')[0]}")
    Select(browser.find_element(By.ID, "user-select")).select_by_value("U0SAM")
    shows("#pane-title", "Sam Support ↔ Firebell")
    shows("#pane-sub", "you act as Sam Support")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "sandbox.png"))
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors


def test_reset_keeps_both_addresses_and_time_starts_over(browser, sandbox_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, WAIT)
    browser.get(sandbox_url.page)
    wait.until(lambda b: b.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
    for _ in range(8):  # two hours on: 08:50 -> 10:50
        browser.find_element(By.ID, "skip").click()
    wait.until(lambda b: "10:5" in b.find_element(By.ID, "clock-now").text, "two hours on")
    box = browser.find_element(By.ID, "composer-input")
    box.send_keys("/incident declare sev3 Before the reset" + Keys.ENTER)
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#messages .b-header"), "a card")

    browser.find_element(By.ID, "reset").click()
    wait.until(EC.visibility_of_element_located((By.ID, "confirm")))
    browser.find_element(By.ID, "confirm-ok").click()
    wait.until(lambda b: not b.find_elements(By.CSS_SELECTOR, "#messages .b-header"), "emptied")
    wait.until(lambda b: "08:5" in b.find_element(By.ID, "clock-now").text, "time restarted")
    with urllib.request.urlopen(f"{sandbox_url.bot}/healthz", timeout=WAIT) as health:
        assert health.status == 200  # the bot's printed address still answers

    browser.get(sandbox_url.page)  # the same page URL, loaded afresh
    wait.until(lambda b: b.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
    box = browser.find_element(By.ID, "composer-input")
    box.send_keys("/incident declare sev3 After the reset" + Keys.ENTER)
    header = "#messages .msg:has(.b-header)"
    wait.until(lambda b: "INC-1 · After the reset" in b.find_element(By.CSS_SELECTOR, header).text)
    times = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#messages .msg-time")]
    assert times and all(t.startswith("08:5") for t in times), times


RENDER = """
const [texts, done] = [arguments[0], arguments[arguments.length - 1]];
import("/sandbox/static/mrkdwn.js").then((m) => {
  const ctx = {
    userName: (id) => ({ U0ALICE: "Alice Adams" })[id],
    channelName: (id) => ({ C0INCIDENTS: "incidents" })[id],
    groupName: (id) => ({ S0PRODUCT: "product-leads" })[id],
    formatDate: (stamp, format, fallback) => `${format}@${stamp}|${fallback}`,
  };
  done(texts.map((text) => {
    const box = document.createElement("div");
    box.appendChild(m.mrkdwn(text, ctx));
    return box.innerHTML;
  }));
}, (error) => done(String(error)));
"""


def test_the_pages_mrkdwn_renderer_shows_text_and_never_runs_it(browser, sandbox_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(sandbox_url.page)
    WebDriverWait(browser, WAIT).until(
        lambda b: b.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true"
    )
    cases = {
        "*INC-1* is _down_ ~gone~ `x < y`": (
            "<span><strong>INC-1</strong> is <em>down</em> <del>gone</del> <code>x &lt; y</code></span>"
        ),
        "&lt;!channel&gt; &lt;script&gt;alert(1)&lt;/script&gt; &amp;": (
            "<span>&lt;!channel&gt; &lt;script&gt;alert(1)&lt;/script&gt; &amp;</span>"
        ),
        "<https://docs.example.com/a?b=1&amp;c=2|run &lt;book&gt;>": (
            '<span><a href="https://docs.example.com/a?b=1&amp;c=2" target="_blank" '
            'rel="noopener noreferrer">run &lt;book&gt;</a></span>'
        ),
        "<javascript:alert(1)|click me>": "<span>&lt;javascript:alert(1)|click me&gt;</span>",
        "<@U0ALICE> <#C0INCIDENTS> <!subteam^S0PRODUCT>": (
            '<span><span class="mention" title="U0ALICE">@Alice Adams</span> '
            '<span class="channel-link" title="C0INCIDENTS">#incidents</span> '
            '<span class="mention" title="S0PRODUCT">@product-leads</span></span>'
        ),
        "<!date^1700000000^{time}|Tue 14 Nov 23:13 CET>": (
            '<span><span class="date" title="Tue 14 Nov 23:13 CET">'
            "{time}@1700000000|Tue 14 Nov 23:13 CET</span></span>"
        ),
        ":rotating_light: :no_such_emoji: snake_case_name": (
            "<span>🚨 :no_such_emoji: snake_case_name</span>"
        ),
    }
    rendered = browser.execute_async_script(RENDER, list(cases))
    assert rendered == list(cases.values())
