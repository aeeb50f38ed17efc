"""Every contract's writes and the catalog's edits, for the tests that mix them and then check
what must follow the rows: the counters and roll-ups (test_incremental_rollups, test_skipped_work),
the document's ETag (test_offline_sync) and writes sent at once (test_learner_turns)."""

from __future__ import annotations

import uuid

from hypothesis import strategies as st

from tests.catalogs import new_id
from tests.conftest import bearer


def write(client, headers, course, kind, index, amount):
    lessons = course.lessons(0) + course.lessons(1)
    lesson = lessons[index]
    if kind == "mark":
        return client.post(f"/api/progress/lessons/{lesson}", headers=headers)
    if kind == "unmark":
        return client.delete(f"/api/progress/lessons/{lesson}", headers=headers)
    if kind == "content":
        status = ["in-progress", "completed", "not-started"][amount % 3]
        return client.post("/api/progress/update", headers=headers,
                           json={"contentId": lesson, "contentType": "lesson", "status": status})
    if kind == "exercise":
        return client.post("/api/progress/update", headers=headers, json={
            "contentId": course.lesson(0, 0)["exercises"][0]["id"], "contentType": "exercise", "status": "completed"})
    if kind == "save":
        return client.post("/api/progress/save", headers=headers, json={
            "courseId": course.course_id, "deviceId": f"d{index}",
            "progress": {"version": 1, "completedLessonIds": [lesson] if amount % 2 else [], "lessonTimes": {lesson: amount}}})
    if kind == "chapter":
        return client.post(f"/v1/tutorials/progress/{course.course_id}/chapter", headers=headers,
                           json={"chapterId": lesson, "watchTime": amount, "completed": amount % 2 == 0})
    if kind == "progress":
        return client.post("/api/progress", headers=headers, json={
            "lessonId": lesson, "completionPercentage": 100 if amount % 2 else 50, "timeSpent": amount})
    return client.post(f"/api/quizzes/{lesson}/attempts", headers=headers,
                       json={"score": amount % 11, "maxScore": 10, "answers": []})


CATALOG_EDITS = ["unpublish lesson", "publish lesson", "unpublish module", "publish module", "move lesson",
                 "add lesson", "delete lesson", "unpublish course", "publish course", "premium", "free",
                 "reorder lessons", "reorder modules"]
STEPS = st.lists(st.one_of(
    st.tuples(st.sampled_from(["mark", "unmark", "content", "save", "save all", "chapter", "progress", "reset",
                               "reset tutorial"]),
              st.integers(0, 2), st.integers(1, 900)),
    st.tuples(st.sampled_from(CATALOG_EDITS), st.integers(0, 2), st.integers(0, 1)),
), min_size=3, max_size=14)


def edit_catalog(db, course, edit: str, index: int, module: int) -> None:
    lessons = [row[0] for row in db.execute(
        "select l.id::text from lessons l join modules m on m.id = l.module_id where m.course_id = %s"
        " order by m.position, l.position, l.id", (course.course_id,))]
    lesson = lessons[index % len(lessons)] if lessons else None
    module_id = course.module_id(module)
    if edit in ("unpublish lesson", "publish lesson") and lesson:
        db.execute("update lessons set published = %s where id = %s", (edit == "publish lesson", lesson))
    elif edit in ("unpublish module", "publish module"):
        db.execute("update modules set published = %s where id = %s", (edit == "publish module", module_id))
    elif edit == "move lesson" and lesson:
        db.execute("update lessons set module_id = %s, slug = %s where id = %s",
                   (module_id, f"moved-{uuid.uuid4().hex[:8]}", lesson))
    elif edit == "add lesson":
        db.execute("insert into lessons (id, module_id, slug, title, position) values (%s, %s, %s, 'Added', 9)",
                   (new_id(), module_id, f"added-{uuid.uuid4().hex[:8]}"))
    elif edit == "delete lesson" and lesson and len(lessons) > 1:
        db.execute("delete from lessons where id = %s", (lesson,))
    elif edit in ("unpublish course", "publish course"):
        db.execute("update courses set published = %s where id = %s", (edit == "publish course", course.course_id))
    elif edit in ("premium", "free"):
        db.execute("update courses set is_premium = %s where id = %s", (edit == "premium", course.course_id))
    elif edit == "reorder lessons":
        db.execute("update lessons set position = 9 - position where module_id = %s", (module_id,))
    elif edit == "reorder modules":
        db.execute("update modules set position = 1 - position where course_id = %s", (course.course_id,))


def save_every_lesson(client, headers, course, index: int, amount: int):
    """One save that names every lesson of both modules, completing those from `index` on when
    `amount` is odd: one statement inserts or merges several lesson rows of several modules."""
    lessons = course.lessons(0) + course.lessons(1)
    return client.post("/api/progress/save", headers=headers, json={
        "courseId": course.course_id, "deviceId": "all", "progress": {
            "version": 1, "completedLessonIds": lessons[index:] if amount % 2 else [],
            "lessonTimes": {lesson: amount for lesson in lessons}}})


def new_learner(client, db) -> tuple[str, dict]:
    learner_id = str(uuid.uuid4())
    headers = bearer(client.post("/api/learners", json={"userId": learner_id}).json["token"])
    db.execute("update learners set created_at = now() - interval '1 day' where id = %s", (learner_id,))
    return learner_id, headers


def take_step(client, db, headers, course, step: tuple):
    """One step of STEPS on the learner's course: a catalog edit (answers None), or a write, a
    save of every lesson or a reset of the document or the tutorial (answers the API's response)."""
    kind, index, amount = step
    if kind in CATALOG_EDITS:
        edit_catalog(db, course, kind, index, amount)
        return None
    if kind == "save all":
        return save_every_lesson(client, headers, course, index, amount)
    if kind == "reset":
        return client.delete(f"/api/progress?courseId={course.course_id}", headers=headers)
    if kind == "reset tutorial":
        return client.delete(f"/v1/tutorials/progress/{course.course_id}", headers=headers)
    return write(client, headers, course, kind, index, amount)
