# Seed 001: courses, lesson progress with achievements, quizzes, me, leaderboard (sourced by smoke.sh).
STATS_LESSON=$(demo_id data-science/statistics-basics/m1-describing-data/lesson-1)
STATS_COURSE=$(demo_id data-science/statistics-basics)
check "001 list courses" 200 "$(status "$API/api/courses?difficulty=beginner&search=python")"
check "001 course detail" 200 "$(status "$API/api/courses/$STATS_COURSE")"
check "001 create course needs an instructor" 403 "$(status -X POST "$API/api/courses" "${AUTH[@]}" "${JSON[@]}" -d '{"title":"Mine"}')"
check "001 lesson progress" 200 "$(status -X POST "$API/api/progress" "${AUTH[@]}" "${JSON[@]}" -d "{\"lessonId\":\"$STATS_LESSON\",\"courseId\":\"$STATS_COURSE\",\"completionPercentage\":100,\"timeSpent\":90,\"sectionProgress\":{}}")"
check "001 quiz attempt" 201 "$(status -X POST "$API/api/quizzes/$STATS_LESSON/attempts" "${AUTH[@]}" "${JSON[@]}" -d '{"score":8,"maxScore":10,"answers":[1,2]}')"
check "001 achievements" 200 "$(status "$API/api/achievements" "${AUTH[@]}")"
check "001 me" 200 "$(status "$API/api/me" "${AUTH[@]}")"
check "001 leaderboard" 200 "$(status "$API/api/leaderboard")"
check "001 notifications" 200 "$(status "$API/api/notifications" "${AUTH[@]}")"
check "001 rate course" 200 "$(status -X POST "$API/api/courses/$STATS_COURSE/ratings" "${AUTH[@]}" "${JSON[@]}" -d '{"rating":5,"review":"Clear."}')"
