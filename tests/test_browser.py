"""A real browser (playwright driving Debian's chromium) opens every page of the running dashboard."""
import os
import shutil

import pytest

from conftest import dashboard_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with dashboard_server(tmp_path_factory.mktemp("browserdata")) as address:
        yield address


def wait_for_run(page):
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=180_000)


def test_every_page_opens_in_chromium_without_an_exception(server):
    from playwright.sync_api import sync_playwright
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is missing: bash scripts/setup.sh installs it")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(server, timeout=180_000)
        wait_for_run(page)
        links = page.eval_on_selector_all('[data-testid="stSidebarNav"] a', "els => els.map(e => e.href)")
        assert len(links) >= 2, links
        for href in links:
            page.goto(href, timeout=180_000)
            wait_for_run(page)
            assert page.locator('[data-testid="stException"]').count() == 0, href
            assert page.get_by_text("Demo data", exact=False).count() > 0, href
        browser.close()


@pytest.fixture(scope="module")
def browser_page(server):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        yield context.new_page()
        browser.close()


def test_a_filter_change_updates_the_url(server, browser_page):
    page = browser_page
    page.goto(f"{server}/trends", timeout=180_000)
    wait_for_run(page)
    page.get_by_text("Financial quarter", exact=True).click()
    page.wait_for_url("**grain=Financial*", timeout=60_000)
    wait_for_run(page)
    assert "grain=Financial" in page.url
    # The link reopens the same view.
    page.goto(page.url, timeout=180_000)
    wait_for_run(page)
    assert page.get_by_role("radio", name="Financial quarter").is_checked()


def test_clicking_a_bar_opens_the_explorer_filtered_to_it_and_the_csv_downloads(server, browser_page):
    page = browser_page
    page.goto(f"{server}/trends?service=CF", timeout=180_000)
    wait_for_run(page)
    chart = page.locator('[data-testid="stPlotlyChart"]').nth(2)   # the stacked grade distribution
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    bar = chart.locator(".bars .point path").first
    bar.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    box = bar.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    # st.switch_page changes the address with the history API: no page load to wait for.
    page.wait_for_function("() => location.pathname.endsWith('/explorer')", timeout=60_000)
    wait_for_run(page)
    url = page.url
    assert "service=CF" in url and "period=" in url, url
    # The clicked bar's grade (the first trace: Outstanding) narrows the table.
    assert page.locator('[data-testid="stMultiSelect"]').filter(has_text="Final grade").get_by_text(
        "Outstanding").count() > 0
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text("Audit explorer").count() > 0
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Download CSV").click()
    path = info.value.path()
    text = open(path, encoding="utf-8-sig").read().splitlines()
    assert text[0].startswith("Audit,Audit date,Final grade")
    assert len(text) > 1 and all(",CF," in line and "Outstanding" in line for line in text[1:])


def test_the_theme_explorer_shows_a_demo_theme_in_at_least_four_strands(server, browser_page):
    page = browser_page
    page.goto(f"{server}/themes?theme=Voice+of+the+child", timeout=180_000)
    wait_for_run(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    headline = page.get_by_text("appears in", exact=False).first.inner_text()
    assert headline.startswith("Voice of the child appears in"), headline
    tabs = page.get_by_role("tab")
    labels = [t.inner_text() for t in tabs.all()]
    strands = [label for label in labels if label.rstrip(")").split("(")[-1].replace(",", "").isdigit()]
    assert len(strands) >= 4, labels
    # Each of four strands' evidence tables opens and holds rows.
    for k in range(4):
        tabs.nth(k).click()
        panel = page.locator('[role="tabpanel"]:visible').first
        panel.locator('[data-testid="stDataFrame"]').first.wait_for(state="visible", timeout=30_000)
        assert int(labels[k].rstrip(")").split("(")[-1].replace(",", "")) > 0
    assert page.locator('[data-testid="stPlotlyChart"]').count() >= 1
