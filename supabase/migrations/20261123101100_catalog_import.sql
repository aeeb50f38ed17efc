-- Catalog import: a whole tree (themes > courses > modules > lessons > exercises) upserted by id
-- in one transaction. Items missing from the file are unpublished, never deleted, so that no
-- learner's progress is lost. The service validates the file's shape first (naming the bad item
-- and field); this function enforces what only the database knows.
-- Owns: import_catalog and the published tree (published_catalog).
-- Relies on: foundation, catalog.

/** Section - Private functions */

-- Upserts one level of pg_temp.import_items into its table by id and reports how many rows were
-- added and how many changed. p_columns maps each column to its expression over import_items.
-- Rows identical to the stored ones are not touched, so `updated_at` stays honest.
create or replace function private.import_level(p_table text, p_level text, p_columns jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_columns text;
  v_values text;
  v_updates text;
  v_stored text;
  v_incoming text;
  v_added bigint;
  v_changed bigint;
begin
  select string_agg(format('%I', key), ', '), string_agg(value #>> '{}', ', '),
         string_agg(format('%I = excluded.%I', key, key), ', '),
         string_agg(format('t.%I', key), ', '), string_agg(format('excluded.%I', key), ', ')
  into v_columns, v_values, v_updates, v_stored, v_incoming
  from jsonb_each(p_columns);
  execute format(
    'with upserted as (
       insert into public.%I as t (id, %s)
       select id, %s from pg_temp.import_items where level = $1
       on conflict (id) do update set %s
       where (%s) is distinct from (%s)
       returning xmax = 0 as inserted)
     select count(*) filter (where inserted), count(*) filter (where not inserted) from upserted',
    p_table, v_columns, v_values, v_updates, v_stored, v_incoming)
  using p_level into v_added, v_changed;
  return jsonb_build_object('added', v_added, 'changed', v_changed);
end;
$$;

-- Every item under the given themes, by level.
create or replace function private.catalog_scope(p_theme_ids uuid[])
returns table (level text, id uuid)
language sql
stable
set search_path = ''
as $$
  select 'course', c.id from public.courses c where c.theme_id = any (p_theme_ids)
  union all
  select 'module', m.id from public.modules m join public.courses c on c.id = m.course_id
    where c.theme_id = any (p_theme_ids)
  union all
  select 'lesson', lc.lesson_id from public.lesson_catalog lc where lc.theme_id = any (p_theme_ids)
  union all
  select 'exercise', e.id from public.exercises e join public.lesson_catalog lc on lc.lesson_id = e.lesson_id
    where lc.theme_id = any (p_theme_ids);
$$;

-- Lessons that (through their own, or their module's, prerequisites) would need themselves: no
-- learner could ever start them. Null when there are none.
create or replace function private.prerequisite_cycle()
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  return (
    with recursive needs as (
      -- A lesson needs each lesson it or its module requires, and every lesson of a required module.
      select l.id as lesson_id, coalesce(p.required_lesson_id, rl.id) as needed
      from public.lessons l
      join public.prerequisites p on p.lesson_id = l.id or p.module_id = l.module_id
      left join public.lessons rl on rl.module_id = p.required_module_id
      where coalesce(p.required_lesson_id, rl.id) is not null
    ),
    reach (start, at) as (
      select lesson_id, needed from needs
      union
      select r.start, n.needed from reach r join needs n on n.lesson_id = r.at
    )
    select jsonb_agg(distinct start) from reach where start = at);
end;
$$;

/** Section - Public functions */

create or replace function public.import_catalog(p_catalog jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
set client_min_messages = warning
as $$
declare
  v_report jsonb;
  v_cycle jsonb;
  v_unpublished bigint;
  v_table text;
begin
  drop table if exists pg_temp.import_items, pg_temp.import_prerequisites;
  create temporary table import_items on commit drop as
  with themes as (
    select t.value as item, t.ordinality - 1 as idx
    from jsonb_array_elements(p_catalog -> 'themes') with ordinality t
  ),
  courses as (
    select c.value as item, c.ordinality - 1 as idx, (th.item ->> 'id')::uuid as parent_id
    from themes th, jsonb_array_elements(coalesce(th.item -> 'courses', '[]')) with ordinality c
  ),
  modules as (
    select m.value as item, m.ordinality - 1 as idx, (co.item ->> 'id')::uuid as parent_id
    from courses co, jsonb_array_elements(coalesce(co.item -> 'modules', '[]')) with ordinality m
  ),
  lessons as (
    select l.value as item, l.ordinality - 1 as idx, (mo.item ->> 'id')::uuid as parent_id
    from modules mo, jsonb_array_elements(coalesce(mo.item -> 'lessons', '[]')) with ordinality l
  ),
  exercises as (
    select e.value as item, e.ordinality - 1 as idx, (le.item ->> 'id')::uuid as parent_id
    from lessons le, jsonb_array_elements(coalesce(le.item -> 'exercises', '[]')) with ordinality e
  )
  select level, (item ->> 'id')::uuid as id, parent_id, item ->> 'slug' as slug, item ->> 'title' as title,
         coalesce((item ->> 'position')::int, idx::int) as position,
         coalesce((item ->> 'published')::boolean, true) as published, item
  from (
    select 'theme' as level, item, idx, null::uuid as parent_id from themes
    union all select 'course', item, idx, parent_id from courses
    union all select 'module', item, idx, parent_id from modules
    union all select 'lesson', item, idx, parent_id from lessons
    union all select 'exercise', item, idx, parent_id from exercises
  ) all_items;

  if exists (select id from pg_temp.import_items group by id having count(*) > 1) then
    perform private.fail(400, 'duplicate_id', 'An id appears more than once in the catalog.',
      jsonb_build_object('ids', (select jsonb_agg(id) from (select id from pg_temp.import_items group by id having count(*) > 1) d)));
  end if;

  -- Parents before children, so that every foreign key finds its row.
  v_report := jsonb_build_object('themes', private.import_level('themes', 'theme', jsonb_build_object(
    'slug', 'slug', 'title', 'title', 'position', 'position', 'published', 'published')));
  v_report := v_report || jsonb_build_object('courses', private.import_level('courses', 'course', jsonb_build_object(
    'theme_id', 'parent_id', 'slug', 'slug', 'title', 'title', 'position', 'position', 'published', 'published',
    'is_premium', $e$coalesce((item ->> 'premium')::boolean, false)$e$,
    'description', $e$item ->> 'description'$e$, 'category', $e$item ->> 'category'$e$,
    'difficulty_level', $e$coalesce(item ->> 'difficulty', 'beginner')$e$,
    'tags', $e$array(select jsonb_array_elements_text(coalesce(item -> 'tags', '[]')))$e$,
    'thumbnail_url', $e$item ->> 'thumbnailUrl'$e$, 'price', $e$coalesce((item ->> 'price')::numeric, 0)$e$,
    'estimated_duration_hours', $e$(item ->> 'estimatedDurationHours')::int$e$)));
  v_report := v_report || jsonb_build_object('modules', private.import_level('modules', 'module', jsonb_build_object(
    'course_id', 'parent_id', 'slug', 'slug', 'title', 'title', 'position', 'position', 'published', 'published')));
  v_report := v_report || jsonb_build_object('lessons', private.import_level('lessons', 'lesson', jsonb_build_object(
    'module_id', 'parent_id', 'slug', 'slug', 'title', 'title', 'position', 'position', 'published', 'published',
    'duration_seconds', $e$(item ->> 'durationSeconds')::int$e$)));
  v_report := v_report || jsonb_build_object('exercises', private.import_level('exercises', 'exercise', jsonb_build_object(
    'lesson_id', 'parent_id', 'slug', 'slug', 'title', 'title', 'position', 'position', 'published', 'published',
    'kind', $e$coalesce(item ->> 'kind', 'exercise')$e$, 'max_score', $e$(item ->> 'maxScore')::int$e$,
    'pass_mark', $e$(item ->> 'passMark')::numeric$e$)));

  -- Within the themes the file lists, whatever it no longer lists is unpublished (progress on
  -- it is kept). Other themes are untouched: each theme's file can be imported on its own.
  foreach v_table in array array['courses', 'modules', 'lessons', 'exercises'] loop
    execute format(
      'with gone as (update public.%I set published = false
                     where published
                       and id in (select id from private.catalog_scope($1) where level = $2)
                       and id not in (select id from pg_temp.import_items) returning 1)
       select count(*) from gone', v_table)
    using (select array_agg(id) from pg_temp.import_items where level = 'theme'), rtrim(v_table, 's')
    into v_unpublished;
    v_report := jsonb_set(v_report, array[v_table, 'unpublished'], to_jsonb(v_unpublished));
  end loop;
  v_report := jsonb_set(v_report, '{themes,unpublished}', '0');

  -- Prerequisites: the file states the whole set for each lesson and module it lists.
  create temporary table import_prerequisites on commit drop as
  select i.level, i.id, (r.value #>> '{}')::uuid as required_id
  from pg_temp.import_items i, jsonb_array_elements(coalesce(i.item -> 'prerequisites', '[]')) r
  where i.level in ('lesson', 'module');

  if exists (select 1 from pg_temp.import_prerequisites p
             where not exists (select 1 from public.lessons where id = p.required_id)
               and not exists (select 1 from public.modules where id = p.required_id)) then
    perform private.fail(400, 'unknown_prerequisite', 'A prerequisite names no lesson or module.',
      jsonb_build_object('prerequisites', (select jsonb_agg(jsonb_build_object('item', id, 'requires', required_id))
        from pg_temp.import_prerequisites p
        where not exists (select 1 from public.lessons where id = p.required_id)
          and not exists (select 1 from public.modules where id = p.required_id))));
  end if;

  delete from public.prerequisites
  where lesson_id in (select id from pg_temp.import_items where level = 'lesson')
     or module_id in (select id from pg_temp.import_items where level = 'module');
  insert into public.prerequisites (lesson_id, module_id, required_lesson_id, required_module_id)
  select
    case when p.level = 'lesson' then p.id end,
    case when p.level = 'module' then p.id end,
    (select id from public.lessons where id = p.required_id),
    (select id from public.modules where id = p.required_id)
  from pg_temp.import_prerequisites p;

  v_cycle := private.prerequisite_cycle();
  if v_cycle is not null then
    perform private.fail(400, 'prerequisite_cycle',
      'Prerequisites form a cycle: these lessons could never be started.', jsonb_build_object('lessons', v_cycle));
  end if;

  return v_report || jsonb_build_object('prerequisites', (select count(*) from pg_temp.import_prerequisites));
end;
$$;

/** Section - Reading the published tree */

-- The published catalog as one tree (what counts, in order): for pages and the demo.
create or replace function public.published_catalog()
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object('id', t.id, 'slug', t.slug, 'title', t.title, 'courses', (
      select coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'slug', c.slug, 'title', c.title,
          'premium', c.is_premium, 'modules', (
          select coalesce(jsonb_agg(jsonb_build_object('id', m.id, 'slug', m.slug, 'title', m.title, 'lessons', (
              select coalesce(jsonb_agg(jsonb_build_object('id', lc.lesson_id, 'title', lc.title,
                  'durationSeconds', lc.duration_seconds) order by lc.position, lc.lesson_id), '[]')
              from public.lesson_catalog lc where lc.module_id = m.id and lc.counts))
            order by m.position, m.id), '[]')
          from public.modules m where m.course_id = c.id and m.published))
        order by c.position, c.id), '[]')
      from public.courses c where c.theme_id = t.id and c.published and c.source = 'catalog'))
    order by t.position, t.id), '[]')
  from public.themes t where t.published;
$$;
grant execute on function public.published_catalog() to anon, authenticated;
