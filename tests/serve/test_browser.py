"""The playground in a real browser: Chromium (Debian's) driven by Selenium, against a live server.

Each test opens the page as a learner would, works its controls and reads what it draws. With
``MLPLAB_SCREENSHOTS=docs/playground`` the screenshots shown in the README are written there.
"""

import time
from urllib.parse import parse_qs, urlparse

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from mlplab.utils import atomic_write_bytes

TIMEOUT = 45  # seconds for what training has to reach; a quiet machine needs a few


def open_page(browser, server, query=""):
    """Load the page and wait for its first frame."""
    browser.get(server.url + query)
    try:
        wait(browser, lambda b: b.execute_script("return window.playground.framesDrawn") > 0, 20)
    except TimeoutException:
        message = browser.find_element(By.ID, "message").text
        raise AssertionError(f"the page drew no frame; it says: {message!r}") from None


def wait(browser, condition, timeout=TIMEOUT):
    return WebDriverWait(browser, timeout, poll_frequency=0.1).until(condition)


def control(browser, field):
    return browser.find_element(By.ID, f"s-{field}")


def type_into(browser, field, text):
    """Replace a text or number field's value, as typing and leaving the field does."""
    element = control(browser, field)
    element.clear()
    element.send_keys(text, Keys.TAB)


def number(browser, element_id):
    text = browser.find_element(By.ID, element_id).text
    return float(text) if text not in ("", "-") else float("nan")


def query(browser):
    return {key: values[0] for key, values in parse_qs(urlparse(browser.current_url).query).items()}


def screenshot(browser, folder, name):
    atomic_write_bytes(folder / name, browser.get_screenshot_as_png())


def severe_messages(browser):
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def test_spirals_train_live_and_the_boundary_forms(browser, live_server, screenshots):
    open_page(browser, live_server, "?dataset=moons")
    Select(control(browser, "dataset")).select_by_value("spirals")
    type_into(browser, "hidden", "8-8")
    wait(browser, lambda b: b.execute_script("return window.playground.lastFrame.step") == 0)
    wait(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#neurons canvas")) == 16)
    before = browser.execute_script("return window.playground.boundaryChecksum")
    drawn = browser.execute_script("return window.playground.framesDrawn")
    browser.find_element(By.ID, "play").click()
    wait(browser, lambda b: number(b, "test-metric") > 0.9)
    browser.find_element(By.ID, "play").click()  # pause
    assert browser.execute_script("return window.playground.boundaryChecksum") != before
    assert browser.execute_script("return window.playground.framesDrawn") > drawn + 5
    assert number(browser, "step-count") > 0
    assert "dead" in browser.find_element(By.ID, "layer-stats-0").text
    time.sleep(0.3)  # the pause reaches the server, the last frame is drawn
    screenshot(browser, screenshots, "playground.png")
    assert severe_messages(browser) == []


def test_settings_live_in_the_url_and_come_back_on_reload(browser, live_server):
    open_page(browser, live_server)
    type_into(browser, "lr", "0.01")
    type_into(browser, "hidden", "6-4")
    layers = browser.find_elements(By.CSS_SELECTOR, "#s-activation select")
    assert len(layers) == 2
    Select(layers[1]).select_by_value("relu")
    wait(browser, lambda b: query(b).get("activation") == "tanh,relu")
    Select(control(browser, "init")).select_by_value("xavier-uniform")
    wait(browser, lambda b: query(b).get("init") == "xavier-uniform")
    assert query(browser)["lr"] == "0.01" and query(browser)["hidden"] == "6-4"
    browser.refresh()
    wait(browser, lambda b: b.execute_script("return window.playground.framesDrawn") > 0, 20)
    assert control(browser, "lr").get_attribute("value") == "0.01"
    assert control(browser, "hidden").get_attribute("value") == "6-4"
    assert control(browser, "init").get_attribute("value") == "xavier-uniform"
    selects = browser.find_elements(By.CSS_SELECTOR, "#s-activation select")
    assert [Select(s).first_selected_option.get_attribute("value") for s in selects] == [
        "tanh",
        "relu",
    ]
    assert browser.execute_script("return window.playground.lastFrame") is not None
    assert (
        browser.execute_script("return document.querySelectorAll('#neurons canvas').length") == 10
    )


def test_divergence_is_explained_in_words(browser, live_server, screenshots):
    open_page(browser, live_server, "?dataset=sine&optimizer=sgd&lr=5&loss=mse&hidden=8")
    browser.find_element(By.ID, "play").click()
    message = wait(
        browser, lambda b: "diverged" in b.find_element(By.ID, "message").text and b
    ).find_element(By.ID, "message")
    assert "at step" in message.text and "lower the learning rate (now 5; try 0.5)" in message.text
    assert "diverged" in message.get_attribute("class")
    wait(browser, lambda b: b.find_element(By.ID, "play").text == "play")
    screenshot(browser, screenshots, "playground-divergence.png")


def test_bad_input_is_shown_at_its_control_and_a_classroom_hides_controls(browser, live_server):
    open_page(browser, live_server, "?hide=optimizer,lr,init&init=normal:0.5")
    for field in ("optimizer", "lr", "init"):
        row = browser.find_element(By.CSS_SELECTOR, f'.row[data-field="{field}"]')
        assert not row.is_displayed()
    assert control(browser, "init").get_attribute("value") == "normal:0.5"  # a spec of the URL's
    assert browser.find_element(By.CSS_SELECTOR, '.row[data-field="loss"]').is_displayed()
    type_into(browser, "hidden", "8-x")
    problem = wait(
        browser, lambda b: b.find_elements(By.CSS_SELECTOR, '.row[data-field="hidden"] .problem')
    )[0]
    assert "joined by '-'" in problem.text
    assert "hide" in query(browser) and query(browser)["hide"] == "optimizer,lr,init"


def test_a_learners_own_csv_is_uploaded_and_trained_on(browser, live_server, tmp_path):
    # Two groups of 20 points, apart along x1: class 1 at x1 < 0, class 0 at x1 > 0.
    rows = "".join(
        f"{(1 if i % 2 else -1) * (0.3 + i % 10 / 20)},{(i * 7) % 40 / 20 - 1},{1 - i % 2}\n"
        for i in range(40)
    )
    path = tmp_path / "mine.csv"
    path.write_text("x1,x2,label\n" + rows)
    open_page(browser, live_server)
    browser.find_element(By.ID, "upload-file").send_keys(str(path))
    wait(browser, lambda b: query(b).get("dataset") == "csv" and "upload" in query(b))
    message = wait(browser, lambda b: "40 rows" in b.find_element(By.ID, "message").text and b)
    assert "classes 0, 1" in message.find_element(By.ID, "message").text
    wait(browser, lambda b: b.execute_script("return window.playground.lastFrame.step") == 0)
    assert Select(control(browser, "dataset")).first_selected_option.get_attribute("value") == "csv"
    browser.find_element(By.ID, "play").click()
    wait(browser, lambda b: number(b, "test-metric") > 0.9)
    browser.find_element(By.ID, "play").click()


@pytest.fixture(autouse=True)
def _no_leftover_logs(browser):
    """Start each test with an empty browser log."""
    browser.get_log("browser")
