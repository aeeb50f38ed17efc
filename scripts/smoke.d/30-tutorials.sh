# Seed 002: the seed's own curl tests, for a tutorial the catalog does not know (sourced by smoke.sh).
TUT="smoke-tutorial-$(python3 -c 'import uuid; print(uuid.uuid4().hex[:8])')"
check "002 get progress" 200 "$(status "$API/v1/tutorials/progress/$TUT" "${AUTH[@]}")"
check "002 update chapter" 200 "$(status -X POST "$API/v1/tutorials/progress/$TUT/chapter" "${AUTH[@]}" "${JSON[@]}" -d '{"chapterId":"chapter-1","watchTime":300,"completed":true,"totalChapters":1}')"
check "002 update quiz" 200 "$(status -X POST "$API/v1/tutorials/progress/$TUT/quiz" "${AUTH[@]}" "${JSON[@]}" -H 'Idempotency-Key: smoke-quiz' -d '{"quizId":"quiz-1","score":8,"maxScore":10,"passed":true}')"
check "002 score out of range" 400 "$(status -X POST "$API/v1/tutorials/progress/$TUT/quiz" "${AUTH[@]}" "${JSON[@]}" -d '{"quizId":"quiz-1","score":11,"maxScore":10,"passed":true}')"
check "002 complete" 200 "$(status -X POST "$API/v1/tutorials/progress/$TUT/complete" "${AUTH[@]}" "${JSON[@]}" -d '{}')"
CERT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["certificateId"])' /tmp/smoke.$$)
check "002 verify certificate" 200 "$(status "$API/v1/certificates/$CERT")"
check "002 certificate page" 200 "$(status "$API/certificates/$CERT")"
check "002 reset" 200 "$(status -X DELETE "$API/v1/tutorials/progress/$TUT" "${AUTH[@]}")"
