"""Seed 000: offline, multi-device progress documents merged in PostgreSQL."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, validate

from schemas import StrictFloat
from schemas.offline_sync import LESSON_ID, LessonTimes
from tests.catalogs import course_tree, import_course
from tests.conftest import bearer
from tests.recounts import assert_counts_match_a_recount
from tests.writes import STEPS, new_learner, take_step


@pytest.fixture(scope="module")
def course(app):
    course = course_tree((4, 4))
    import_course(app, course)
    return course


def register(client) -> dict:
    user_id = str(uuid.uuid4())
    token = client.post("/api/learners", json={"userId": user_id}).json["token"]
    return {"id": user_id, "headers": bearer(token), "token": token}


def save(client, learner, course_id, progress, **extra):
    body = {"userId": learner["id"], "courseId": course_id, "progress": progress, **extra}
    return client.post("/api/progress/save", json=body, headers=learner["headers"])


def document(client, learner, course_id):
    return client.get(f"/api/progress?userId={learner['id']}&courseId={course_id}", headers=learner["headers"])


def v1(completed=(), times=None, last=None):
    """A payload exactly as seed 000's front-end sends it."""
    times = times or {}
    return {"version": 1, "completedLessonIds": list(completed), "lastLessonId": last,
            "lessonTimes": times, "timeSpentSeconds": sum(times.values())}


def test_the_seed_payload_works_unchanged(client, course):
    learner = register(client)
    a, b = course.lessons(0)[:2]
    response = save(client, learner, course.course_id, v1([a], {a: 30, b: 120}, b),
                    clientUpdatedAt="2025-08-12T20:00:00.000Z")
    assert response.status_code == 200
    progress = response.json["progress"]
    assert progress["completedLessonIds"] == [a]
    assert progress["lessonTimes"] == {a: 30, b: 120} and progress["timeSpentSeconds"] == 150
    assert progress["lastLessonId"] == b
    assert document(client, learner, course.course_id).json["progress"] == progress
    items = client.get(f"/api/progress/list?userId={learner['id']}", headers=learner["headers"]).json["items"]
    assert [(i["course_id"], i["progress"]["completedLessonIds"]) for i in items] == [(course.course_id, [a])]
    assert set(items[0]) == {"course_id", "progress", "updated_at"}


def test_nothing_stored_is_404_with_null_progress(client, course):
    learner = register(client)
    response = document(client, learner, course.course_id)
    assert response.status_code == 404 and response.json == {"progress": None}


def test_delete_resets_the_course_everywhere(client, course):
    learner = register(client)
    a = course.lessons(0)[0]
    save(client, learner, course.course_id, v1([a], {a: 10}))
    deleted = client.delete(f"/api/progress?userId={learner['id']}&courseId={course.course_id}", headers=learner["headers"])
    assert deleted.status_code == 200 and deleted.json["deleted"] is True
    assert document(client, learner, course.course_id).status_code == 404
    assert client.get("/api/progress/lessons", headers=learner["headers"]).json == {"lessons": []}


def test_one_truth_with_lesson_completion(client, course):
    learner = register(client)
    a, b = course.lessons(1)[:2]
    save(client, learner, course.course_id, v1([a]))
    summary = client.get("/api/progress/summary", headers=learner["headers"]).json
    assert summary["completedCount"] == 1
    client.post(f"/api/progress/lessons/{b}", headers=learner["headers"])
    assert set(document(client, learner, course.course_id).json["progress"]["completedLessonIds"]) == {a, b}


def test_time_from_two_devices_adds_up_and_resends_never_double_count(client, course):
    learner = register(client)
    a = course.lessons(0)[0]
    # A late retry of an older counter (laptop 60 after laptop 90) must not lower it.
    for device, seconds in [("laptop", 60), ("phone", 40), ("laptop", 90), ("laptop", 60), ("phone", 40)]:
        save(client, learner, course.course_id, v1(times={a: seconds}), deviceId=device)
    progress = document(client, learner, course.course_id).json["progress"]
    assert progress["lessonTimes"] == {a: 130} and progress["timeSpentSeconds"] == 130


def test_time_two_devices_report_at_the_same_moment_adds_up(app, client, stack, db, course):
    """Seed 001's page and a tablet's save report time on one lesson at once: the tablet's write
    waits for the page's, and its lesson time counts the page's seconds as well as its own."""
    learner = register(client)
    a = course.lessons(1)[0]
    save(client, learner, course.course_id, v1(times={a: 10}), deviceId="tablet")  # the rows exist
    with psycopg.connect(stack.superuser_url) as platform, ThreadPoolExecutor(1) as pool:
        platform.execute("select public.record_lesson_progress(%s, 'browser', %s, null, null, 60)", (learner["id"], a))
        tablet = pool.submit(save, app.test_client(), learner, course.course_id, v1(times={a: 40}), deviceId="tablet")
        for _ in range(200):  # until the tablet's write waits for the page's transaction
            if db.execute("select count(*) from pg_stat_activity where wait_event_type = 'Lock' "
                          "and query like '%save_progress_document%'").fetchone()[0]:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the tablet's save never waited for the page's transaction")
        platform.commit()
        assert tablet.result().status_code == 200
    progress = document(client, learner, course.course_id).json["progress"]
    assert progress["lessonTimes"] == {a: 100} and progress["timeSpentSeconds"] == 100


def test_a_later_unmark_wins_and_an_older_one_does_not(client, course):
    learner = register(client)
    a, b = course.lessons(0)[:2]
    save(client, learner, course.course_id,
         {"version": 2, "completedLessonIds": [a, b], "completedAt": {a: "2026-01-01T10:00:00Z", b: "2026-01-01T10:00:00Z"}})
    save(client, learner, course.course_id,
         {"version": 2, "unmarkedAt": {a: "2026-01-01T11:00:00Z", b: "2026-01-01T09:00:00Z"}})
    assert document(client, learner, course.course_id).json["progress"]["completedLessonIds"] == [b]


def test_last_lesson_follows_the_newest_client_time(client, course):
    learner = register(client)
    a, b = course.lessons(0)[:2]
    save(client, learner, course.course_id, v1(last=b), clientUpdatedAt="2026-01-01T12:00:00Z")
    save(client, learner, course.course_id, v1(last=a), clientUpdatedAt="2026-01-01T11:00:00Z")
    assert document(client, learner, course.course_id).json["progress"]["lastLessonId"] == b


def test_a_save_rewrites_only_the_lessons_it_moves_and_resume_follows_them(client, db, course):
    """Seed 000's client names every lesson it knows in every save. A lesson the save does not move
    keeps its row as it was (not rewritten, its last access unchanged), so seed 004's resume names
    the lesson worked on last, not whichever lesson the document happens to name."""
    learner = register(client)
    b, c = course.lessons(0)[1:3]

    def row(lesson):
        return db.execute("select xmin::text, last_accessed_at from lesson_progress where learner_id = %s and lesson_id = %s",
                          (learner["id"], lesson)).fetchone()

    def resume():
        return client.get(f"/api/progress/course_summary?courseId={course.course_id}&userId={learner['id']}",
                          headers=learner["headers"]).json["resume"]["lessonId"]

    save(client, learner, course.course_id, v1(times={b: 60, c: 30}))
    untouched = row(c)
    save(client, learner, course.course_id, v1(times={b: 90, c: 30}))
    assert row(c) == untouched, "c did not move: its row is not rewritten"
    assert resume() == b
    save(client, learner, course.course_id, v1(times={b: 90, c: 45}))
    assert resume() == c


def test_a_save_naming_one_lesson_rewrites_its_row_only_when_it_moves(client, db, course):
    """A document of one lesson is merged by the lesson's key, not as a document's rows: the same
    rule holds, a lesson the save does not move keeps its row as it was."""
    learner = register(client)
    lesson = course.lessons(0)[3]

    def row():
        return db.execute("select xmin::text, last_accessed_at, time_spent_seconds from lesson_progress"
                          " where learner_id = %s and lesson_id = %s", (learner["id"], lesson)).fetchone()

    save(client, learner, course.course_id, v1(times={lesson: 60}))
    untouched = row()
    save(client, learner, course.course_id, v1(times={lesson: 60}))
    assert row() == untouched, "the lesson did not move: its row is not rewritten"
    save(client, learner, course.course_id, v1(times={lesson: 90}))
    assert row()[0] != untouched[0] and row()[2] == 90


def test_lessons_one_save_opens_together_resume_at_the_first_in_course_order(client, db, app):
    """One save opens every lesson its document times at the same moment. Of those, seed 004's
    resume names the first in course order, on every read, whatever order the lessons are named
    in and the modules' ids sort in (the later modules' ids sort first here)."""
    course = course_tree((4, 4, 4))
    for module, first_digit in zip(course.modules, "f80"):
        module["id"] = first_digit + module["id"][1:]
    import_course(app, course)
    learner = register(client)
    lessons = [lesson for module in range(3) for lesson in course.lessons(module)]
    save(client, learner, course.course_id, v1(times={lesson: 30 for lesson in reversed(lessons)}))
    opened = db.execute("select count(distinct last_accessed_at) from lesson_progress where learner_id = %s",
                        (learner["id"],)).fetchone()[0]
    assert opened == 1, "the save opened every lesson at one moment"
    for path in (f"/api/progress/course_summary?courseId={course.course_id}&userId={learner['id']}",
                 f"/api/progress/next?courseId={course.course_id}"):
        assert client.get(path, headers=learner["headers"]).json["resume"]["lessonId"] == lessons[0], path


def test_history_records_before_incoming_after_and_device(client, course):
    learner = register(client)
    a = course.lessons(0)[0]
    save(client, learner, course.course_id, v1([a]), deviceId="tablet")
    items = client.get(f"/api/progress/history?courseId={course.course_id}", headers=learner["headers"]).json["items"]
    assert len(items) == 1
    entry = items[0]
    assert entry["deviceId"] == "tablet" and entry["before"] is None
    assert entry["incoming"]["progress"]["completedLessonIds"] == [a]
    assert entry["after"]["completedLessonIds"] == [a] and entry["createdAt"].endswith("Z")


def test_history_lists_saves_in_the_order_they_were_applied(client, stack, course):
    """Two devices save at once, and the save whose transaction began first is applied second: the
    history lists the saves in the order applied, each entry's before the previous one's after."""
    learner = register(client)
    a, b = course.lessons(0)[:2]
    with psycopg.connect(stack.superuser_url) as older:
        older.execute("select now()")  # the older device's transaction starts (and takes its time)
        save(client, learner, course.course_id, v1([b]), deviceId="younger")
        older.execute("select public.save_progress_document(%s, 'browser', %s, %s, null, 'older')",
                      (learner["id"], course.course_id, psycopg.types.json.Jsonb(v1([a]))))
        older.commit()
    items = client.get(f"/api/progress/history?courseId={course.course_id}", headers=learner["headers"]).json["items"]
    assert [item["deviceId"] for item in items] == ["older", "younger"]
    assert items[0]["before"] == items[1]["after"]
    assert items[0]["createdAt"] >= items[1]["createdAt"]


LESSON = st.integers(0, 3)
OTHER_WRITES = st.one_of(st.tuples(st.just("mark"), LESSON), st.tuples(st.just("unmark"), LESSON),
                         st.tuples(st.just("time"), LESSON, st.integers(1, 500)),
                         st.tuples(st.just("chapter"), LESSON, st.integers(1, 500)),
                         st.tuples(st.just("reset"), LESSON))
A_SAVE = st.tuples(st.just("save"), st.lists(LESSON, max_size=3), st.lists(LESSON, max_size=2),
                   st.dictionaries(LESSON, st.integers(1, 500), max_size=3), st.one_of(st.none(), LESSON))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rounds=st.lists(st.tuples(st.lists(OTHER_WRITES, max_size=2), A_SAVE), min_size=2, max_size=5))
def test_each_history_entry_holds_the_documents_read_around_its_save(app, course, rounds):
    """Saves, each after none or some of the other contracts' writes of the same lessons (marks,
    unmarks, seed 001's time, seed 002's chapters, resets): each save's history entry holds, as
    before and after, exactly the documents a read gave just before and just after it (no
    document: null), even where the previous entry's after would no longer be."""
    lessons = course.lessons(0)
    writes = [write for others, a_save in rounds for write in [*others, a_save]]
    with app.test_client() as client:
        learner = register(client)
        for write in writes:
            if write[0] != "save":
                other = _other_write(client, learner, lessons, write, course.course_id)
                assert other.status_code == 200, other.json
                continue
            _, completed, unmarked, times, last = write
            read_before = document(client, learner, course.course_id).json["progress"]
            saved = save(client, learner, course.course_id, {
                "version": 2, "completedLessonIds": [lessons[i] for i in completed],
                "unmarkedAt": {lessons[i]: "2030-01-01T00:00:00Z" for i in unmarked},
                "lessonTimes": {lessons[i]: seconds for i, seconds in times.items()},
                "lastLessonId": None if last is None else lessons[last]})
            assert saved.status_code == 200, saved.json
            read_after = document(client, learner, course.course_id).json["progress"]
            entry = client.get(f"/api/progress/history?courseId={course.course_id}",
                               headers=learner["headers"]).json["items"][0]
            assert (entry["before"], entry["after"]) == (read_before, read_after)
            assert saved.json["progress"] == read_after


def _other_write(client, learner, lessons, write, course_id):
    """A mark (003), an unmark (003), a chapter's watch time (002), a reset of the course (000)
    or a time through seed 001's lesson progress."""
    kind, lesson = write[0], lessons[write[1]]
    if kind == "mark":
        return client.post(f"/api/progress/lessons/{lesson}", headers=learner["headers"])
    if kind == "unmark":
        return client.delete(f"/api/progress/lessons/{lesson}", headers=learner["headers"])
    if kind == "chapter":
        return client.post(f"/v1/tutorials/progress/{course_id}/chapter", headers=learner["headers"],
                           json={"chapterId": lesson, "watchTime": write[2]})
    if kind == "reset":
        return client.delete(f"/api/progress?courseId={course_id}", headers=learner["headers"])
    return client.post("/api/progress", headers=learner["headers"],
                       json={"lessonId": lesson, "completionPercentage": 50, "timeSpent": write[2]})


@pytest.mark.parametrize("change", ["reorder", "move", "delete"])
def test_a_catalog_change_between_two_saves_shows_in_the_second_save_s_before(app, db, change):
    """A lesson reordered, moved to another module or deleted (with its rows) changes the document
    with no learner writing: the next save's before is still what a read gives, not the last
    save's after."""
    course = course_tree((3, 2))
    import_course(app, course)
    first, second, third = course.lessons(0)
    with app.test_client() as client:
        learner = register(client)
        assert save(client, learner, course.course_id, v1([first, second, third], {third: 30})).status_code == 200
        last_after = client.get(f"/api/progress/history?courseId={course.course_id}",
                                headers=learner["headers"]).json["items"][0]["after"]
        if change == "reorder":
            db.execute("update public.lessons set position = 9 - position where id = any(%s)", ([first, third],))
        elif change == "move":
            db.execute("update public.lessons set module_id = (select module_id from public.lessons where id = %s),"
                       " slug = 'moved' where id = %s", (course.lessons(1)[0], first))
        else:
            db.execute("delete from public.lessons where id = %s", (third,))
        read_before = document(client, learner, course.course_id).json["progress"]
        assert read_before != last_after
        assert save(client, learner, course.course_id, v1([second])).status_code == 200
        entry = client.get(f"/api/progress/history?courseId={course.course_id}",
                           headers=learner["headers"]).json["items"][0]
    assert entry["before"] == read_before


def test_saves_and_other_writes_of_one_course_at_once_all_succeed(app):
    """Saves and the other contracts' writes of one learner's course, all at once, each take the
    learner's turn before their first lock: none waits on another in a circle, which PostgreSQL
    would break by failing one of them; nothing is lost."""
    course = course_tree((6,))
    import_course(app, course)
    lessons = course.lessons(0)
    with app.test_client() as client:
        learner = register(client)

    def write(index):
        with app.test_client() as client:
            if index % 4 == 0:
                return save(client, learner, course.course_id,
                            v1(lessons[:3], {each: index + 1 for each in lessons}), deviceId=f"d{index % 3}")
            kind = ("time", "mark", "chapter")[index % 4 - 1]
            return _other_write(client, learner, lessons, (kind, index % len(lessons), index + 1), course.course_id)

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(write, range(120)))
    assert [a.status_code for a in answers] == [200] * 120, [a.json for a in answers if a.status_code != 200][:3]
    with app.test_client() as client:
        final = document(client, learner, course.course_id).json["progress"]
        entries = client.get(f"/api/progress/history?courseId={course.course_id}",
                             headers=learner["headers"]).json["items"]
    assert len(entries) == 30
    marked = {lessons[index % len(lessons)] for index in range(120) if index % 4 == 2}
    assert set(final["completedLessonIds"]) == set(lessons[:3]) | marked


BAD_SAVES = {
    "negative time": (lambda c: v1(times={c.lessons(0)[0]: -5}), "progress"),
    "too many lessons": (lambda c: v1([str(uuid.uuid4()) for _ in range(501)]), "progress"),
    "malformed": (lambda c: {"version": 1, "completedLessonIds": "all"}, "progress"),
    "unknown field": (lambda c: {"version": 1, "bogus": True}, "progress"),
    "bad version": (lambda c: {"version": 7}, "progress"),
}


@pytest.mark.parametrize("case", BAD_SAVES)
def test_bad_saves_name_the_field_and_write_nothing(client, course, case):
    learner = register(client)
    payload, field = BAD_SAVES[case]
    response = save(client, learner, course.course_id, payload(course))
    assert response.status_code == 400, response.json
    assert field in response.json["details"]["fields"]
    assert document(client, learner, course.course_id).status_code == 404
    history = client.get(f"/api/progress/history?courseId={course.course_id}", headers=learner["headers"]).json
    assert history == {"items": []}


def test_save_errors(client, course):
    learner = register(client)
    assert save(client, learner, str(uuid.uuid4()), v1()).status_code == 404
    assert client.post("/api/progress/save", json={"courseId": course.course_id}, headers=learner["headers"]).status_code == 400
    other = {**learner, "id": str(uuid.uuid4())}
    assert save(client, other, course.course_id, v1()).status_code == 403
    assert client.post("/api/progress/save", json={"courseId": course.course_id, "progress": v1()}).status_code == 401


def test_open_mode_takes_the_user_id_alone(make_app, course):
    client = make_app(ANONYMOUS_LEARNERS="open").test_client()
    user_id = str(uuid.uuid4())
    a = course.lessons(0)[0]
    response = client.post("/api/progress/save", json={"userId": user_id, "courseId": course.course_id, "progress": v1([a])})
    assert response.status_code == 200
    assert client.get(f"/api/progress?userId={user_id}&courseId={course.course_id}").json["progress"]["completedLessonIds"] == [a]


def test_fifty_concurrent_saves_of_disjoint_lessons_all_survive(app):
    course = course_tree((50,))
    import_course(app, course)
    with app.test_client() as client:
        learner = register(client)

    def save_one(index):
        lesson = course.lessons(0)[index]
        with app.test_client() as client:
            return save(client, learner, course.course_id, v1([lesson], {lesson: 10}), deviceId=f"d{index}").status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert list(pool.map(save_one, range(50))) == [200] * 50
    with app.test_client() as client:
        progress = document(client, learner, course.course_id).json["progress"]
        history = client.get(f"/api/progress/history?courseId={course.course_id}", headers=learner["headers"]).json
    assert sorted(progress["completedLessonIds"]) == sorted(course.lessons(0))
    assert progress["timeSpentSeconds"] == 500
    assert len(history["items"]) == 50


def test_claim_merges_anonymous_progress_into_the_account_once(client, db, course, account):
    anonymous = register(client)
    a, b, c = course.lessons(0)[:3]
    save(client, anonymous, course.course_id, v1([a], {a: 30}), deviceId="phone")
    client.post(f"/api/progress/lessons/{b}", headers=account["headers"])
    save(client, {**account}, course.course_id, v1([c], {a: 20}), deviceId="laptop")

    claim = {"userId": anonymous["id"], "token": anonymous["token"]}
    assert client.post("/api/progress/claim", json=claim, headers=anonymous["headers"]).status_code == 403
    forged = {"userId": str(uuid.uuid4()), "token": anonymous["token"]}
    assert client.post("/api/progress/claim", json=forged, headers=account["headers"]).status_code == 403
    response = client.post("/api/progress/claim", json=claim, headers=account["headers"])
    assert response.status_code == 200 and response.json["claimed"] is True
    progress = document(client, account, course.course_id).json["progress"]
    assert set(progress["completedLessonIds"]) == {a, b, c}
    assert progress["lessonTimes"][a] == 50, "phone 30 + laptop 20"
    # The claim moves rows in two statements (the merge's insert, the browser rows' delete): the
    # roll-up counters of both learners still equal a recount.
    assert_counts_match_a_recount(db, account["id"], course)
    assert_counts_match_a_recount(db, anonymous["id"], course)
    again = client.post("/api/progress/claim", json=claim, headers=account["headers"])
    assert again.status_code == 409 and again.json["code"] == "already_claimed"


# ----- the merge converges: any order, any duplication, same result -----------------------------
def _save_strategy(lessons):
    lesson = st.sampled_from(lessons)
    minute = st.integers(min_value=0, max_value=120)
    return st.fixed_dictionaries({
        "device": st.sampled_from(["a", "b"]),
        "completed": st.dictionaries(lesson, minute, max_size=3),
        "unmarked": st.dictionaries(lesson, minute, max_size=2),
        "times": st.dictionaries(lesson, st.integers(min_value=0, max_value=600), max_size=3),
        "last": st.one_of(st.none(), lesson),
        "at": minute,
    })


def _payload(course_id, event):
    def clock(minute):
        return f"2026-03-01T{10 + minute // 60:02d}:{minute % 60:02d}:00Z"

    return {
        "courseId": course_id,
        "deviceId": event["device"],
        "clientUpdatedAt": clock(event["at"]),
        "progress": {
            "version": 2,
            "completedLessonIds": list(event["completed"]),
            "completedAt": {k: clock(v) for k, v in event["completed"].items()},
            "unmarkedAt": {k: clock(v) for k, v in event["unmarked"].items()},
            "lessonTimes": event["times"],
            "lastLessonId": event["last"],
        },
    }


def _converged(progress):
    """The document without its server timestamp (an empty save stores nothing)."""
    return {k: v for k, v in (progress or {"completedLessonIds": [], "timeSpentSeconds": 0}).items() if k != "updatedAt"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_order_any_duplication_same_result(app, course, data):
    lessons = course.lessons(0)[:3]
    events = data.draw(st.lists(_save_strategy(lessons), min_size=1, max_size=5))
    # Time counters only grow per device and lesson; make each device's counters monotonic.
    seen: dict = {}
    for event in events:
        for lesson, seconds in list(event["times"].items()):
            key = (event["device"], lesson)
            event["times"][lesson] = seen[key] = max(seconds, seen.get(key, 0))
    payloads = [_payload(course.course_id, e) for e in events]
    orders = [
        payloads,
        data.draw(st.permutations(payloads)),
        data.draw(st.permutations(payloads + data.draw(st.lists(st.sampled_from(payloads), max_size=3)))),
    ]
    results = []
    with app.test_client() as client:
        for order in orders:
            learner = register(client)
            for payload in order:
                response = client.post("/api/progress/save", json=payload, headers=learner["headers"])
                assert response.status_code == 200, response.json
            results.append(_converged(document(client, learner, course.course_id).json["progress"]))
    assert results[0] == results[1] == results[2]

    # And the result is the one the rules say: per lesson, completed iff the newest completion is
    # not older than the newest unmark; time is the sum over devices of each device's largest count.
    completed = {}
    for event in events:
        for lesson, at in event["completed"].items():
            completed[lesson] = max(completed.get(lesson, (-1, -1))[0], at), completed.get(lesson, (-1, -1))[1]
        for lesson, at in event["unmarked"].items():
            completed[lesson] = completed.get(lesson, (-1, -1))[0], max(completed.get(lesson, (-1, -1))[1], at)
    expected_done = {lesson for lesson, (done, undone) in completed.items() if done >= 0 and done >= undone}
    assert set(results[0]["completedLessonIds"]) == expected_done
    per_device: dict = {}
    for event in events:
        for lesson, seconds in event["times"].items():
            per_device[(event["device"], lesson)] = max(seconds, per_device.get((event["device"], lesson), 0))
    assert results[0]["timeSpentSeconds"] == sum(per_device.values())


# ----- a save applies what it can and names the rest -------------------------------------------
@pytest.fixture(scope="module")
def course_with_a_draft(app):
    """A course whose lesson `draft` was published and is no longer."""
    course = course_tree((3,))
    course.modules[0]["lessons"][2]["published"] = False
    import_course(app, course)
    return course


def test_a_save_naming_an_unpublished_lesson_keeps_the_rest(client, course_with_a_draft):
    learner = register(client)
    good, other, draft = course_with_a_draft.lessons(0)
    unknown = str(uuid.uuid4())
    response = save(client, learner, course_with_a_draft.course_id, {
        "version": 1, "completedLessonIds": [good, draft, unknown, "not-a-uuid"],
        "lessonTimes": {good: 30, draft: 12, other: 86_401}, "lastLessonId": draft})
    assert response.status_code == 200, response.json
    body = response.json
    assert body["progress"]["completedLessonIds"] == [good]
    assert body["progress"]["lessonTimes"] == {good: 30}
    assert sorted((r["lessonId"], r["field"], r["reason"]) for r in body["rejected"]) == sorted([
        (draft, "completedLessonIds", "unpublished"), (draft, "lessonTimes", "unpublished"),
        (draft, "lastLessonId", "unpublished"),
        (unknown, "completedLessonIds", "unknown_lesson"), ("not-a-uuid", "completedLessonIds", "unknown_lesson"),
        (other, "lessonTimes", "over_limit")])
    assert body["ignoredLessonIds"] == sorted({draft, unknown, "not-a-uuid", other})
    assert document(client, learner, course_with_a_draft.course_id).json["progress"] == body["progress"]


LESSON_KINDS = ["valid", "unknown", "unpublished"]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(saves=st.lists(st.lists(st.tuples(st.sampled_from(LESSON_KINDS), st.integers(0, 1), st.booleans()),
                               min_size=1, max_size=4), min_size=1, max_size=4),
       repeat=st.integers(1, 2))
def test_any_mix_of_valid_unknown_and_unpublished_applies_exactly_the_valid_parts(app, course_with_a_draft, saves, repeat):
    good = course_with_a_draft.lessons(0)[:2]
    draft = course_with_a_draft.lessons(0)[2]
    unknown = ["00000000-0000-4000-8000-00000000000a", "not-a-lesson"]
    with app.test_client() as client:
        learner = register(client)
        expected_done, expected_times = set(), {}
        for _ in range(repeat):
            for entries in saves:
                completed, times = [], {}
                for kind, index, with_time in entries:
                    lesson = {"valid": good[index], "unknown": unknown[index], "unpublished": draft}[kind]
                    completed.append(lesson)
                    if with_time:
                        times[lesson] = 10 * (index + 1)
                    if kind == "valid":
                        expected_done.add(lesson)
                        if with_time:
                            expected_times[lesson] = max(expected_times.get(lesson, 0), 10 * (index + 1))
                response = save(client, learner, course_with_a_draft.course_id,
                                {"version": 1, "completedLessonIds": completed, "lessonTimes": times})
                assert response.status_code == 200, response.json
                rejected = {r["lessonId"] for r in response.json["rejected"]}
                assert rejected == {lesson for lesson in completed + list(times) if lesson not in good}
        progress = document(client, learner, course_with_a_draft.course_id).json["progress"] or {
            "completedLessonIds": [], "lessonTimes": {}}
    assert set(progress["completedLessonIds"]) == expected_done
    assert progress["lessonTimes"] == expected_times


# ----- idle devices catch up cheaply -------------------------------------------------------------
def test_a_conditional_read_answers_304_until_the_document_changes(client, course):
    learner = register(client)
    a, b = course.lessons(0)[:2]
    save(client, learner, course.course_id, v1([a]))
    first = document(client, learner, course.course_id)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag
    again = client.get(f"/api/progress?courseId={course.course_id}", headers={**learner["headers"], "If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag and again.data == b""
    client.post(f"/api/progress/lessons/{b}", headers=learner["headers"])  # another contract, same rows
    changed = client.get(f"/api/progress?courseId={course.course_id}", headers={**learner["headers"], "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.json["progress"]["completedLessonIds"] == [a, b]
    client.delete(f"/api/progress?courseId={course.course_id}", headers=learner["headers"])
    gone = client.get(f"/api/progress?courseId={course.course_id}",
                      headers={**learner["headers"], "If-None-Match": changed.headers["ETag"]})
    assert gone.status_code == 404 and gone.json == {"progress": None}


def test_a_write_that_commits_after_a_younger_one_still_changes_the_etag(client, stack, course):
    """Two devices of one learner write at once: the older transaction commits last, so its row's
    time is older than the newest one a poller has already seen. The version must still move."""
    learner = register(client)
    a, b = course.lessons(0)[:2]
    save(client, learner, course.course_id, v1([a]))
    url = f"/api/progress?courseId={course.course_id}"
    with psycopg.connect(stack.superuser_url) as older:
        older.execute("select now()")  # the older device's transaction starts (and takes its time)
        client.post(f"/api/progress/lessons/{b}", headers=learner["headers"])  # the younger commits
        seen = client.get(url, headers=learner["headers"])
        assert seen.json["progress"]["completedLessonIds"] == [a, b]
        older.execute("select public.unmark_lesson_complete(%s, 'browser', %s)", (learner["id"], a))
        older.commit()
    polled = client.get(url, headers={**learner["headers"], "If-None-Match": seen.headers["ETag"]})
    assert polled.status_code == 200, "a poller that saw the younger write never learns of the older"
    assert polled.json["progress"]["completedLessonIds"] == [b]


def test_a_catalog_reorder_changes_the_etag_of_the_documents_it_reorders(app, client):
    """completedLessonIds follow the catalog's order: when an instructor reorders lessons or
    modules, a poller's document has changed though none of its rows has, and must not be a 304."""
    course = course_tree((2, 1))
    import_course(app, course)
    learner = register(client)
    (a, b), (c,) = course.lessons(0), course.lessons(1)
    save(client, learner, course.course_id, v1([a, b, c]))
    url = f"/api/progress?courseId={course.course_id}"
    seen = client.get(url, headers=learner["headers"])
    assert seen.json["progress"]["completedLessonIds"] == [a, b, c]

    first, second = course.modules[0]["lessons"]
    first["position"], second["position"] = second["position"], first["position"]
    import_course(app, course)
    polled = client.get(url, headers={**learner["headers"], "If-None-Match": seen.headers["ETag"]})
    assert polled.status_code == 200, "lessons reordered, and the poller keeps the old order"
    assert polled.json["progress"]["completedLessonIds"] == [b, a, c]

    course.modules[0]["position"], course.modules[1]["position"] = 1, 0
    import_course(app, course)
    polled_again = client.get(url, headers={**learner["headers"], "If-None-Match": polled.headers["ETag"]})
    assert polled_again.status_code == 200, "modules reordered, and the poller keeps the old order"
    assert polled_again.json["progress"]["completedLessonIds"] == [c, b, a]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_the_etag_moves_whenever_the_document_does(app, db, steps):
    """After any writes of every contract and any catalog edits, alone or in turns: whenever the
    document a read gives differs from the one read before, so does its ETag, so a poller that
    sends the old one is never answered 304 for a document it has not seen."""
    course = course_tree((2, 1))
    import_course(app, course)
    url = f"/api/progress?courseId={course.course_id}"
    with app.test_client() as client:
        learner_id, headers = new_learner(client, db)
        seen = client.get(url, headers=headers)
        for step in [("save all", 0, 1), *steps]:  # first, every lesson done
            take_step(client, db, headers, course, step)
            read = client.get(url, headers=headers)
            if read.json["progress"] != seen.json["progress"]:
                assert read.headers["ETag"] != seen.headers["ETag"], (step, steps)
            seen = read


# ----- the document's lesson times, checked in one pass ----------------------------------------------
class _AsTheDictChecksThem(Schema):
    times = fields.Dict(keys=LESSON_ID, values=StrictFloat(validate=validate.Range(min=0)))


class _InOnePass(Schema):
    times = LessonTimes()


def _outcome(schema: Schema, times) -> tuple:
    try:
        return "loaded", schema.load({"times": times})
    except ValidationError as error:
        return "refused", error.messages


@settings(max_examples=400, deadline=None)
@given(st.one_of(
    st.dictionaries(st.text(max_size=120), st.one_of(
        st.integers(min_value=-(2**60), max_value=2**60), st.integers(min_value=2**52, max_value=10**400), st.floats(),
        st.booleans(), st.none(), st.text(max_size=5), st.lists(st.integers(), max_size=2)), max_size=6),
    st.lists(st.integers(), max_size=2), st.text(max_size=5), st.none(), st.integers()))
def test_lesson_times_load_and_refuse_as_marshmallow_s_dict_does(times):
    """The one-pass check takes what the Dict takes, as the Dict gives it, and leaves everything
    else to the Dict: the same values, and the same error messages for the client."""
    assert _outcome(_InOnePass(), times) == _outcome(_AsTheDictChecksThem(), times)
