"""The docs site as a reader sees it: built strictly, served over HTTP, opened in headless Chromium
(Debian's chromium and chromium-driver, nothing downloaded). A handful of pages must render,
load every image, navigate and search; screenshots are kept in build/docs-screenshots/."""
import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from test_docs import ROOT, build_site

SHOTS = ROOT / "build" / "docs-screenshots"
PAGES = {"start": "start/", "layer": "reference/layers/conv/", "tutorial": "tutorials/digits-torch/",
         "api": "reference/api/", "concepts": "concepts/", "transformer": "tutorials/transformer/"}


def chromium():
    """A headless Chromium driven by the system's chromedriver, or a skip saying what is missing."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (the test extra)")
    from selenium.webdriver.chrome.service import Service
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not browser or not driver:
        pytest.skip("Chromium and chromedriver are not installed (Debian: apt-get install chromium "
                    "chromium-driver; make test installs them when it can)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1000"):
        opts.add_argument(arg)
    return webdriver.Chrome(options=opts, service=Service(executable_path=driver))


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = build_site(tmp_path_factory.mktemp("site") / "site")
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    driver = chromium()
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def wait(browser, condition, timeout=20):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(browser, timeout).until(condition)


@pytest.mark.slow
@pytest.mark.parametrize("key", list(PAGES))
def test_the_page_renders_with_its_images(site, browser, key):
    from selenium.webdriver.common.by import By
    browser.get(site + PAGES[key])
    wait(browser, lambda b: b.execute_script("return document.readyState") == "complete")
    h1 = browser.find_element(By.CSS_SELECTOR, "article h1")
    assert h1.is_displayed() and h1.text.strip()
    assert len(browser.find_element(By.CSS_SELECTOR, "article").text) > 400, f"{key}: the page is nearly empty"
    broken = browser.execute_script(
        "return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
    assert not broken, f"{key}: images that did not load: {broken}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / f"{key}.png"))


@pytest.mark.slow
def test_the_tutorial_shows_its_figures(site, browser):
    from selenium.webdriver.common.by import By
    browser.get(site + PAGES["tutorial"])
    sources = [img.get_attribute("src") for img in browser.find_elements(By.CSS_SELECTOR, "article img")]
    assert any(s.endswith("digits_torch_instructions.png") for s in sources), sources


@pytest.mark.slow
def test_navigation_leads_from_the_home_page_to_a_layer_page(site, browser):
    from selenium.webdriver.common.by import By
    browser.get(site)
    link = browser.find_element(By.CSS_SELECTOR, 'article a[href*="reference/layers"]')
    link.click()
    wait(browser, lambda b: "reference/layers" in b.current_url)
    browser.find_element(By.CSS_SELECTOR, 'article a[href^="conv"]').click()
    wait(browser, lambda b: b.current_url.endswith("reference/layers/conv/"))
    assert browser.find_element(By.CSS_SELECTOR, "article h1").text.startswith("Convolutions")
    nav = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "nav.md-nav a.md-nav__link")]
    assert any(h and h.endswith("/reference/cli/") for h in nav), "the navigation lacks the CLI page"


@pytest.mark.slow
def test_search_finds_a_layer(site, browser):
    from selenium.webdriver.common.by import By
    browser.get(site)
    wait(browser, lambda b: b.execute_script("return document.readyState") == "complete")
    box = browser.find_element(By.CSS_SELECTOR, "input.md-search__input")     # in the header
    box.click()
    box.send_keys("DW_Conv2D")
    from selenium.common.exceptions import StaleElementReferenceException

    def conv_result(b):             # the results re-render while the index answers: read them afresh
        try:
            return any("conv" in (a.get_attribute("href") or "")
                       for a in b.find_elements(By.CSS_SELECTOR, ".md-search-result__item a"))
        except StaleElementReferenceException:
            return False
    wait(browser, conv_result, 30)
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "search.png"))
