"""A report opened in a real headless Chromium: what its console said and what each plot drew."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.tools import require_browser


@dataclass
class Opened:
    console: list[dict[str, Any]]
    """Every browser console entry (level, message) while the page loaded."""
    plots: dict[str, int]
    """Each ``figure.plot``'s caption and the number of values it drew."""
    title: str
    height: int


def open_report(path: Path, screenshot: Path | None = None, width: int = 1340) -> Opened:
    """Load ``path`` from disk, as a user double-clicking it would, and read the page back."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = require_browser()
    options = Options()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--window-size={width},1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.set_page_load_timeout(60)
        driver.get(path.resolve().as_uri())
        plots = driver.execute_script(
            "return Array.from(document.querySelectorAll('figure.plot')).map("
            "f => [f.querySelector('figcaption').textContent, Number(f.dataset.points)])")
        height = int(driver.execute_script("return document.documentElement.scrollHeight"))
        if screenshot is not None:
            driver.set_window_size(width, min(height + 40, 8000))
            driver.save_screenshot(str(screenshot))
        return Opened(list(driver.get_log("browser")), {caption: n for caption, n in plots}, driver.title, height)
    finally:
        driver.quit()
