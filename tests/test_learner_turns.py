"""A learner's writes take turns. Each write of one learner takes the learner's turn before its
first lock, so writes of every contract sent at once queue instead of waiting on each other in a
circle, which PostgreSQL breaks by failing one of them (the API's 503 "busy")."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from tests.catalogs import course_tree, import_course
from tests.recounts import assert_counts_match_a_recount
from tests.test_row_writes import assert_times_are_device_sums
from tests.writes import new_learner, take_step

KINDS = ["mark", "unmark", "content", "save", "save all", "chapter", "progress", "quiz", "reset",
         "reset tutorial"]


@pytest.fixture(scope="module")
def course(app):
    course = course_tree((2, 1))
    import_course(app, course)
    return course


def send(app, headers, course, step):
    with app.test_client() as client:
        return take_step(client, None, headers, course, step)


def test_writes_of_every_contract_at_once_all_succeed_and_counts_stay_exact(app, db, course):
    with app.test_client() as client:
        learner_id, headers = new_learner(client, db)
    steps = [(KINDS[n % len(KINDS)], n % 3, 7 * n + 1) for n in range(220)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda step: send(app, headers, course, step), steps))
    failed = [(step, answer.status_code, answer.json) for step, answer in zip(steps, answers)
              if answer.status_code >= (300 if step[0].startswith("reset") else 500)]
    assert failed == []
    assert_counts_match_a_recount(db, learner_id, course)
    assert_times_are_device_sums(db, learner_id)


@pytest.mark.parametrize("kind", [*KINDS, "erase", "claim"])
def test_a_write_waits_for_the_learner_s_turn_before_it_locks_anything(app, db, stack, course, account, kind):
    """While another transaction holds the learner's turn, a write of any contract waits for it,
    then succeeds. (A write that waited only at its first lesson row could already hold a lock
    that the turn's holder needs.) A claim waits for the anonymous learner's turn."""
    with app.test_client() as client:
        learner_id, headers = new_learner(client, db)
        for step in [("save", 0, 30), ("mark", 0, 1)]:  # a document to reset, a lesson to unmark
            assert take_step(client, None, headers, course, step).status_code == 200
    with psycopg.connect(stack.superuser_url) as holder, ThreadPoolExecutor(max_workers=1) as pool:
        holder.execute("select private.take_learner_turn(%s)", (learner_id,))
        if kind in KINDS:
            answer = pool.submit(send, app, headers, course, (kind, 0, 5))
        else:
            answer = pool.submit(_erase_or_claim, app, kind, learner_id, headers, account)
        waited = _waits_for_turn(db, learner_id, answer)
        holder.rollback()
        assert waited, f"{kind} did not wait (answered {answer.result().status_code})"
        assert answer.result(timeout=10).status_code < 300


def _erase_or_claim(app, kind, learner_id, headers, account):
    with app.test_client() as client:
        if kind == "erase":
            return client.delete("/api/me", headers=headers, json={"confirm": learner_id})
        token = headers["Authorization"].removeprefix("Bearer ")
        return client.post("/api/progress/claim", headers=account["headers"], json={"userId": learner_id, "token": token})


def _waits_for_turn(db, learner_id: str, answer) -> bool:
    """True once a backend waits for the learner's turn; False if the write finished first."""
    deadline = time.monotonic() + 10
    while not answer.done() and time.monotonic() < deadline:
        if db.execute(
                "select exists (select from pg_locks where locktype = 'advisory' and not granted"
                " and ((classid::bigint << 32) | objid::bigint) = private.learner_time_lock_key(%s))",
                (learner_id,)).fetchone()[0]:
            return True
        time.sleep(0.005)
    return False
