-- A saved document's lessons looked up by key. private.sort_named_lessons joined the lessons a
-- document names to lesson_catalog by a hash of every lesson of the course, so each save read the
-- whole course's catalog whatever it named, and a longer course made every save of it dearer.
-- Per call on dataset L, the old body and this one in turns (2 rounds of 1 000 to 2 000 calls):
-- 11 names in a course of 500 lessons, 298 and 375 µs -> 179 and 193; 11 names in a course of
-- 50 (the bench's save), 153 and 205 -> 140 and 153; every lesson named in both fields (100
-- names), 780 and 927 -> 868 and 958, within the rounds' spread. The bench's save at one
-- connection, 4 pairs of 6 s windows in turns: executor 2.81 to 3.48 -> 2.67 to 3.31 ms, lower
-- in each pair by 0.14 to 0.36.
-- The plan is kept generic: the lookups do not depend on the course, and a custom plan was
-- planned anew on every call (its estimate of a hundred names a field made the generic one look
-- dear), which cost more than the lookups saved.
-- Owns: a new body of private.sort_named_lessons.
-- Relies on: catalog (lesson_catalog), api_sync (sort_named_lessons: the sorting and its result).

-- As in api_sync, with each named lesson's catalog row looked up by its key.
create or replace function private.sort_named_lessons(p_course_id uuid, p_progress jsonb, p_max_seconds integer)
returns jsonb
language plpgsql
stable
set search_path = ''
set plan_cache_mode = force_generic_plan
as $$
begin
  return (
    with named as (
      select field, id, value,
             case when id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then id::uuid end as lesson_id
      from (
        select 'completedLessonIds' as field, value #>> '{}' as id, value
          from jsonb_array_elements(coalesce(p_progress -> 'completedLessonIds', '[]'))
        union all select 'lessonTimes', key, value from jsonb_each(coalesce(p_progress -> 'lessonTimes', '{}'))
        union all select 'completedAt', key, value from jsonb_each(coalesce(p_progress -> 'completedAt', '{}'))
        union all select 'unmarkedAt', key, value from jsonb_each(coalesce(p_progress -> 'unmarkedAt', '{}'))
        union all select 'lastLessonId', p_progress ->> 'lastLessonId', p_progress -> 'lastLessonId'
          where p_progress ->> 'lastLessonId' is not null
      ) fields
    ),
    sorted as (
      select n.field, n.id, n.value,
             case when lc.lesson_id is null then 'unknown_lesson'
                  when not lc.counts then 'unpublished'
                  when n.field = 'lessonTimes' and (n.value #>> '{}')::numeric > p_max_seconds then 'over_limit' end as reason
      from named n
      left join lateral (
        select lc.lesson_id, lc.counts from public.lesson_catalog lc
        where lc.lesson_id = n.lesson_id and lc.course_id = p_course_id
        offset 0  -- one lookup per name, not a hash of the course
      ) lc on true
    )
    select jsonb_build_object(
      'accepted', p_progress || jsonb_build_object(
        'completedLessonIds', coalesce((select jsonb_agg(value) from sorted
                                        where field = 'completedLessonIds' and reason is null), '[]'),
        'lessonTimes', coalesce((select jsonb_object_agg(id, value) from sorted
                                 where field = 'lessonTimes' and reason is null), '{}'),
        'completedAt', coalesce((select jsonb_object_agg(id, value) from sorted
                                 where field = 'completedAt' and reason is null), '{}'),
        'unmarkedAt', coalesce((select jsonb_object_agg(id, value) from sorted
                                where field = 'unmarkedAt' and reason is null), '{}'),
        'lastLessonId', coalesce((select value from sorted where field = 'lastLessonId' and reason is null), 'null')),
      'rejected', coalesce((select jsonb_agg(jsonb_build_object('lessonId', id, 'field', field, 'reason', reason)
                                             order by field, id)
                            from sorted where reason is not null), '[]')));
end;
$$;
