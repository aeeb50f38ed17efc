"""The browser client in real headless Chromium (Debian's), driven by Playwright: offline
changes survive a reload and reach the server; two browsers of one learner converge."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
import time

import httpx
import pytest
from werkzeug.serving import make_server

from devstack.stack import free_port
from tests.catalogs import course_tree, import_course

CHROMIUM = shutil.which("chromium")
# scripts/install.sh installs Debian's chromium; only a bare local pytest may lack it.
pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="no chromium")
# Chromium's own background services would try the closed network at every start.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="module")
def server(app):
    port = free_port()
    http = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    http.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def course(app):
    course = course_tree((3, 2))
    import_course(app, course)
    return course


def open_course(context, server, course):
    page = context.new_page()
    page.goto(f"{server}/demo/{course.course_id}")
    wait_until(page, "window.progressClient && window.progressClient.token")
    return page


def wait_until(page, expression: str, timeout: float = 15_000) -> None:
    """Poll a JavaScript expression until it is truthy. (Playwright's wait_for_function evaluates
    strings with eval, which the pages' Content Security Policy forbids, as it should.)"""
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout / 1000
    while True:
        try:
            if page.evaluate(expression):
                return
        except Error:  # a page still loading has no context to evaluate in yet
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout / 1000:.0f} s: {expression}")
        time.sleep(0.1)


def checked(page) -> set[str]:
    return set(page.eval_on_selector_all("input[data-lesson]:checked", "boxes => boxes.map(b => b.dataset.lesson)"))


def server_document(server, page, course) -> dict:
    token = page.evaluate("window.progressClient.token")
    response = httpx.get(f"{server}/api/progress?courseId={course.course_id}", headers={"Authorization": f"Bearer {token}"})
    return response.json()["progress"] or {}


def wait_synced(page):
    wait_until(page, "document.body.dataset.pending === 'false'", timeout=15000)


def test_the_demo_lists_the_catalog(browser, server):
    page = browser.new_context().new_page()
    page.goto(f"{server}/demo")
    assert page.locator("a[href^='/demo/']").count() >= 5


def test_offline_completions_survive_a_reload_and_reach_the_server(browser, server, course):
    context = browser.new_context()
    page = open_course(context, server, course)
    first, second = course.lessons(0)[:2]

    context.set_offline(True)
    page.check(f"input[data-lesson='{first}']")
    page.check(f"input[data-lesson='{second}']")
    assert page.text_content("#status") == "saved on this device"
    assert page.text_content("[data-module] .module-percent") == "66"

    # Back online for the page, but saves still fail: the queue must outlive a reload.
    context.route("**/api/progress/save", lambda route: route.abort())
    context.set_offline(False)
    page.reload()
    wait_until(page, "window.progressClient")
    assert checked(page) == {first, second}
    assert server_document(server, page, course).get("completedLessonIds", []) == []

    context.unroute("**/api/progress/save")
    page.evaluate("window.progressClient.sync()")
    wait_synced(page)
    assert server_document(server, page, course)["completedLessonIds"] == [first, second]
    context.close()


def test_two_browsers_of_one_learner_converge(browser, server, course):
    laptop = browser.new_context()
    laptop_page = open_course(laptop, server, course)
    identity = laptop_page.evaluate("localStorage.getItem('learner-progress.identity')")
    phone = browser.new_context()
    phone.add_init_script(f"localStorage.setItem('learner-progress.identity', {identity!r})")
    phone_page = open_course(phone, server, course)
    assert phone_page.evaluate("window.progressClient.learnerId") == laptop_page.evaluate("window.progressClient.learnerId")

    a, b, c = course.lessons(0)
    d = course.lessons(1)[0]
    laptop_page.check(f"input[data-lesson='{a}']")
    wait_synced(laptop_page)

    laptop.set_offline(True)
    phone.set_offline(True)
    laptop_page.check(f"input[data-lesson='{b}']")
    laptop_page.evaluate(f"window.progressClient.addTime('{b}', 120)")
    phone_page.check(f"input[data-lesson='{c}']")
    phone_page.check(f"input[data-lesson='{d}']")
    phone_page.evaluate(f"window.progressClient.addTime('{b}', 60)")
    phone_page.wait_for_timeout(50)
    phone_page.uncheck(f"input[data-lesson='{d}']")

    laptop.set_offline(False)
    phone.set_offline(False)
    for page in (laptop_page, phone_page):
        page.evaluate("window.progressClient.sync()")
        wait_synced(page)
    states = [page.evaluate("window.progressClient.hydrate()") for page in (laptop_page, phone_page)]
    for state in states:
        assert set(state["completedLessonIds"]) == {a, b, c}
        assert state["lessonTimes"][b] == 180
    assert checked(laptop_page) == checked(phone_page) == {a, b, c}
    laptop.close()
    phone.close()


# ----- sync never loses a learner's work ---------------------------------------------------------
def rejected_parts(page) -> set[tuple[str, str, str]]:
    parts = page.evaluate("window.progressClient.progress().rejected")
    return {(p["lessonId"], p["field"], p["reason"]) for p in parts}


def test_a_save_naming_a_lesson_unpublished_since_keeps_the_rest_and_reports_it(browser, server, course, db):
    context = browser.new_context()
    page = open_course(context, server, course)
    good, draft = course.lessons(0)[:2]
    context.set_offline(True)
    page.check(f"input[data-lesson='{good}']")
    page.check(f"input[data-lesson='{draft}']")
    page.evaluate(f"window.progressClient.addTime('{good}', 30); window.progressClient.addTime('{draft}', 12)")
    db.execute("update lessons set published = false where id = %s", (draft,))

    context.set_offline(False)
    page.evaluate("window.progressClient.sync()")
    wait_synced(page)
    stored = server_document(server, page, course)
    assert stored["completedLessonIds"] == [good] and stored["lessonTimes"] == {good: 30}
    assert {(draft, "completedLessonIds", "unpublished"), (draft, "lessonTimes", "unpublished")} <= rejected_parts(page)
    assert page.is_visible("#rejected") and page.locator(f"[data-rejected='{draft}']").count() >= 2

    page.reload()  # reported, and kept on the device until the page acknowledges it
    wait_until(page, "window.progressClient")
    assert (draft, "completedLessonIds", "unpublished") in rejected_parts(page)
    assert good in checked(page)
    page.click("#acknowledge")
    page.reload()
    wait_until(page, "window.progressClient")
    assert rejected_parts(page) == set() and not page.is_visible("#rejected")
    context.close()


def test_a_save_refused_whole_keeps_every_change_and_a_failing_server_loses_none(browser, server, course):
    context = browser.new_context()
    page = open_course(context, server, course)
    first, second = course.lessons(0)[:2]

    # 503s are retried, never dropped.
    context.route("**/api/progress/save", lambda route: route.fulfill(
        status=503, content_type="application/json", body='{"error": "busy", "code": "unavailable"}'))
    page.check(f"input[data-lesson='{first}']")
    page.wait_for_timeout(1500)
    assert page.evaluate("window.progressClient.progress().pending") is True
    assert rejected_parts(page) == set()

    # A 404 (the course is gone) does not get better by retrying: every change is reported and kept.
    context.unroute("**/api/progress/save")
    context.route("**/api/progress/save", lambda route: route.fulfill(
        status=404, content_type="application/json", body='{"error": "Course not found.", "code": "course_not_found"}'))
    page.check(f"input[data-lesson='{second}']")
    page.evaluate("window.progressClient.sync()")
    wait_synced(page)
    assert {(first, "completedLessonIds", "course_not_found"),
            (second, "completedLessonIds", "course_not_found")} <= rejected_parts(page)
    page.reload()
    wait_until(page, "window.progressClient")
    assert (second, "completedLessonIds", "course_not_found") in rejected_parts(page)
    context.close()


def test_an_idle_page_shows_another_devices_change_within_ten_seconds(browser, server, course):
    laptop = browser.new_context()
    laptop_page = open_course(laptop, server, course)
    identity = laptop_page.evaluate("localStorage.getItem('learner-progress.identity')")
    phone = browser.new_context()
    phone.add_init_script(f"localStorage.setItem('learner-progress.identity', {identity!r})")
    idle = open_course(phone, server, course)
    lesson = course.lessons(1)[0]
    laptop_page.check(f"input[data-lesson='{lesson}']")
    wait_synced(laptop_page)
    wait_until(idle, f"document.querySelector(\"input[data-lesson='{lesson}']\").checked", timeout=10_000)
    laptop.close()
    phone.close()


def test_signing_in_claims_and_sends_what_is_queued_as_the_account(browser, server, course, db):
    from tests.test_platform import make_account

    account = make_account(db)
    token = account["headers"]["Authorization"].split()[1]
    context = browser.new_context()
    page = open_course(context, server, course)
    synced, queued = course.lessons(0)[:2]
    page.check(f"input[data-lesson='{synced}']")
    wait_synced(page)
    context.route("**/api/progress/save", lambda route: route.abort())
    page.check(f"input[data-lesson='{queued}']")
    page.evaluate(f"window.progressClient.signIn('{token}')")
    context.unroute("**/api/progress/save")
    page.evaluate("window.progressClient.sync()")
    wait_synced(page)
    stored = httpx.get(f"{server}/api/progress?courseId={course.course_id}", headers=account["headers"]).json()
    assert stored["progress"]["completedLessonIds"] == [synced, queued]
    context.close()


def test_a_front_end_on_another_origin_loads_the_client_from_the_api(browser, make_app, course):
    """The README's cross-origin snippet: module and API from the service, the page elsewhere."""
    api_port, page_port = free_port(), free_port()
    front_end = f"http://127.0.0.1:{page_port}"
    app = make_app(CORS_ORIGINS=front_end)
    api = make_server("127.0.0.1", api_port, app, threaded=True)

    def page(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html")])
        return [f"""<!doctype html><script type="module">
          import {{ createProgressClient }} from "http://127.0.0.1:{api_port}/static/progress-client.js";
          window.progressClient = createProgressClient({{ courseId: "{course.course_id}",
                                                          baseUrl: "http://127.0.0.1:{api_port}" }});
        </script>""".encode()]

    other_origin = make_server("127.0.0.1", page_port, page, threaded=True)
    for server in (api, other_origin):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        context = browser.new_context()
        tab = context.new_page()
        tab.goto(front_end)
        wait_until(tab, "window.progressClient && window.progressClient.token")
        lesson = course.lessons(0)[0]
        tab.evaluate(f"window.progressClient.markComplete('{lesson}')")
        tab.evaluate("window.progressClient.sync()")
        wait_until(tab, "window.progressClient.progress().pending === false")
        token = tab.evaluate("window.progressClient.token")
        stored = httpx.get(f"http://127.0.0.1:{api_port}/api/progress?courseId={course.course_id}",
                           headers={"Authorization": f"Bearer {token}"}).json()
        assert stored["progress"]["completedLessonIds"] == [lesson]
        context.close()
    finally:
        api.shutdown()
        other_origin.shutdown()


def test_erase_my_data_erases_on_the_server_and_forgets_the_learner_here(browser, server, course, db):
    context = browser.new_context()
    page = open_course(context, server, course)
    lesson = course.lessons(0)[0]
    page.check(f"input[data-lesson='{lesson}']")
    wait_synced(page)
    learner_id = page.evaluate("window.progressClient.learnerId")
    erased = page.evaluate("window.progressClient.eraseMyData()")
    assert erased["erased"] is True and erased["learnerId"] == learner_id
    assert page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('learner-progress.'))") == []
    assert db.execute("select count(*) from lesson_progress where learner_id = %s", (learner_id,)).fetchone()[0] == 0
    context.close()


ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def test_the_insight_dashboard_draws_the_demo_cohort(browser, server, db):
    """The demo course's scripted learners, seen by an admin: every chart has data points and
    the nudge table rows; the screenshot is kept in tests/artifacts/."""
    from scripts.demo_catalog import DEMO_COURSE, item_id
    from tests.test_platform import make_account

    admin = make_account(db, role="admin")
    token = admin["headers"]["Authorization"].split()[1]
    context = browser.new_context(viewport={"width": 1100, "height": 1800})
    context.add_init_script(f"sessionStorage.setItem('learner-progress.insights-token', '{token}')")
    page = context.new_page()
    page.goto(f"{server}/insights/courses/{item_id(*DEMO_COURSE)}")
    wait_until(page, "document.body.dataset.drawn === 'true'")
    for chart in ("#funnel", "#drop-off", "#quizzes", "#cohorts", "#activity"):
        assert page.locator(f"{chart} [data-point]").count() > 0, chart
    assert page.locator("#nudges tbody tr").count() > 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "insights.png"), full_page=True)
    context.close()
