import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

# pytest-django's live_server runs beside Playwright's event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture
def screenshot():
    """Saves a screenshot under artifacts/screenshots/ to be looked at: the full page, or with
    `full_page=False` what the window shows (where a page opens on a phone)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name, *, full_page=True):
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=full_page)

    return take


# Early on the first day of a month: the demo's "this month" has the least room, and a
# browser test that ran across a real midnight would otherwise read two different months.
BROWSER_CLOCK = datetime(2027, 1, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _browser_clock():
    """Every browser test starts at the same moment and the clock ticks on from there;
    the live server shares the test's process and so its clock. Chromium keeps the real
    time, which only cookies' Max-Age (relative) depends on."""
    with time_machine.travel(BROWSER_CLOCK, tick=True):
        yield
