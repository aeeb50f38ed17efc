# Seeds 003 and 004 against the demo catalog (sourced by scripts/smoke.sh).
demo_id() { python3 -c 'import sys, uuid; print(uuid.uuid5(uuid.UUID("6f1d3c3e-8a51-4d61-9f0e-2b7c1d0a9e55"), sys.argv[1]))' "$1"; }
COURSE=$(demo_id web-development/html-css-foundations)
MODULE=$(demo_id web-development/html-css-foundations/m1-document-structure)
LESSON1=$(demo_id web-development/html-css-foundations/m1-document-structure/lesson-1)
LESSON2=$(demo_id web-development/html-css-foundations/m1-document-structure/lesson-2)
AUTH=(-H "Authorization: Bearer $TOKEN")
JSON=(-H 'Content-Type: application/json')

check "003 mark lesson" 200 "$(status -X POST "$API/api/progress/lessons/$LESSON1" "${AUTH[@]}" -H 'Idempotency-Key: smoke-1')"
FIRST=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["completedAt"])' /tmp/smoke.$$)
check "003 mark again" 200 "$(status -X POST "$API/api/progress/lessons/$LESSON1" "${AUTH[@]}")"
AGAIN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["completedAt"])' /tmp/smoke.$$)
check "003 repeat keeps completedAt" "$FIRST" "$AGAIN"
check "003 summary" 200 "$(status "$API/api/progress/summary" "${AUTH[@]}")"
check "003 module detail" 200 "$(status "$API/api/progress/modules/$MODULE" "${AUTH[@]}")"
check "003 completed lessons" 200 "$(status "$API/api/progress/lessons" "${AUTH[@]}")"
check "003 lesson id not a uuid" 400 "$(status -X POST "$API/api/progress/lessons/abc" "${AUTH[@]}")"
check "004 update" 200 "$(status -X POST "$API/api/progress/update" "${AUTH[@]}" "${JSON[@]}" -d "{\"contentId\":\"$LESSON2\",\"contentType\":\"lesson\",\"status\":\"completed\"}")"
check "004 course cannot be declared complete" 409 "$(status -X POST "$API/api/progress/update" "${AUTH[@]}" "${JSON[@]}" -d "{\"contentId\":\"$COURSE\",\"contentType\":\"course\",\"status\":\"completed\"}")"
check "004 content" 200 "$(status "$API/api/progress/content?userId=$LEARNER&contentId=$MODULE" "${AUTH[@]}")"
check "004 course summary" 200 "$(status "$API/api/progress/course_summary?userId=$LEARNER&courseId=$COURSE" "${AUTH[@]}")"
check "004 all progress" 200 "$(status "$API/api/progress?userId=$LEARNER" "${AUTH[@]}")"
check "004 next lesson" 200 "$(status "$API/api/progress/next?courseId=$COURSE" "${AUTH[@]}")"
check "003 unmark" 200 "$(status -X DELETE "$API/api/progress/lessons/$LESSON2" "${AUTH[@]}")"
