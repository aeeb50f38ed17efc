# Seed 000: save / get / list / history / delete against the demo catalog (sourced by smoke.sh).
PY_COURSE=$(demo_id data-science/python-for-data)
PY_LESSON=$(demo_id data-science/python-for-data/m1-python-refresher/lesson-1)
SAVE="{\"userId\":\"$LEARNER\",\"courseId\":\"$PY_COURSE\",\"progress\":{\"version\":1,\"completedLessonIds\":[\"$PY_LESSON\"],\"lastLessonId\":\"$PY_LESSON\",\"lessonTimes\":{\"$PY_LESSON\":30},\"timeSpentSeconds\":30},\"clientUpdatedAt\":\"2025-08-12T20:00:00.000Z\"}"
check "000 save" 200 "$(status -X POST "$API/api/progress/save" "${AUTH[@]}" "${JSON[@]}" -d "$SAVE")"
check "000 save again (idempotent)" 200 "$(status -X POST "$API/api/progress/save" "${AUTH[@]}" "${JSON[@]}" -d "$SAVE")"
check "000 get" 200 "$(status "$API/api/progress?userId=$LEARNER&courseId=$PY_COURSE" "${AUTH[@]}")"
grep -q '"timeSpentSeconds":30' /tmp/smoke.$$ || { fail=$((fail + 1)); echo "FAIL 000 resend counted twice: $(body)"; }
check "000 list" 200 "$(status "$API/api/progress/list?userId=$LEARNER" "${AUTH[@]}")"
check "000 history" 200 "$(status "$API/api/progress/history?courseId=$PY_COURSE" "${AUTH[@]}")"
check "000 unknown lesson: the rest stands" 200 "$(status -X POST "$API/api/progress/save" "${AUTH[@]}" "${JSON[@]}" -d "{\"courseId\":\"$PY_COURSE\",\"progress\":{\"version\":1,\"completedLessonIds\":[\"l1\"]}}")"
grep -q '"reason":"unknown_lesson"' /tmp/smoke.$$ || { fail=$((fail + 1)); echo "FAIL 000 unknown lesson not named: $(body)"; }
check "000 malformed document" 400 "$(status -X POST "$API/api/progress/save" "${AUTH[@]}" "${JSON[@]}" -d "{\"courseId\":\"$PY_COURSE\",\"progress\":{\"version\":1,\"completedLessonIds\":\"all\"}}")"
check "000 delete" 200 "$(status -X DELETE "$API/api/progress?userId=$LEARNER&courseId=$PY_COURSE" "${AUTH[@]}")"
check "000 get after delete" 404 "$(status "$API/api/progress?userId=$LEARNER&courseId=$PY_COURSE" "${AUTH[@]}")"
check "demo page" 200 "$(status "$API/demo")"
check "browser client" 200 "$(status "$API/static/progress-client.js")"
