-- The catalog: what exists to be learned. Themes > courses > modules > lessons, with exercises
-- and quizzes attached to lessons, and prerequisites between lessons and modules.
-- Owns: the catalog tables, `lesson_catalog` (a lesson with its ancestry and whether it counts),
-- per-course lesson totals kept by triggers, and who may read and write the catalog.
-- Relies on: foundation (helpers, profiles, is_admin / is_instructor).
-- Learners (and the anon key) read what is published; admins write everything, instructors their
-- own courses; everything else is written by the service's functions.

/** Section - Tables */
create table public.themes (
  id uuid primary key default gen_random_uuid(),
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{0,99}$'),
  title text not null check (char_length(title) between 1 and 200),
  position integer not null default 0,
  published boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.courses (
  id uuid primary key default gen_random_uuid(),
  theme_id uuid references public.themes (id) on delete set null,
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{0,99}$'),
  title text not null check (char_length(title) between 1 and 200),
  position integer not null default 0,
  published boolean not null default true,
  is_premium boolean not null default false,
  -- catalog: imported or made by an instructor. tutorial: a video tutorial id the catalog does not
  -- know (seed 002), made unpublished on first use: its titles are learners' text, never shown
  -- to anyone else, and its chapters never count in the catalog's denominators.
  source text not null default 'catalog' check (source in ('catalog', 'tutorial')),
  external_key text unique check (char_length(external_key) <= 255),
  -- Seed 001's course page.
  description text check (char_length(description) <= 5000),
  thumbnail_url text check (char_length(thumbnail_url) <= 1000 and thumbnail_url ~* '^https?://[^[:space:]<>"]+$'),
  instructor_id uuid references public.profiles (id) on delete set null,
  difficulty_level text not null default 'beginner'
    check (difficulty_level in ('beginner', 'intermediate', 'advanced')),
  estimated_duration_hours integer check (estimated_duration_hours > 0),
  price numeric(10, 2) not null default 0 check (price >= 0),
  tags text[] not null default '{}',
  category text,
  -- Counters kept by triggers on enrollments and ratings (platform file).
  enrollment_count integer not null default 0 check (enrollment_count >= 0),
  rating_count integer not null default 0 check (rating_count >= 0),
  rating_sum integer not null default 0 check (rating_sum >= 0),
  average_rating numeric(3, 2) not null default 0 check (average_rating between 0 and 5),
  -- Seed 001's name for `published`, so that its course query (`eq('is_published', true)`) works.
  is_published boolean generated always as (published) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((source = 'tutorial') = (external_key is not null))
);

create table public.modules (
  id uuid primary key default gen_random_uuid(),
  course_id uuid not null references public.courses (id) on delete cascade,
  slug text not null check (slug ~ '^[a-z0-9][a-z0-9-]{0,99}$'),
  title text not null check (char_length(title) between 1 and 200),
  position integer not null default 0,
  published boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (course_id, slug)
);

create table public.lessons (
  id uuid primary key default gen_random_uuid(),
  module_id uuid not null references public.modules (id) on delete cascade,
  slug text not null check (slug ~ '^[a-z0-9][a-z0-9-]{0,99}$'),
  title text not null check (char_length(title) between 1 and 200),
  position integer not null default 0,
  published boolean not null default true,
  -- A video chapter's length: watching a configured share of it completes the lesson.
  duration_seconds integer check (duration_seconds > 0),
  -- A tutorial chapter's own id (seed 002), when the catalog does not know the tutorial.
  external_key text check (char_length(external_key) <= 255),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (module_id, slug),
  unique (module_id, external_key)
);

create table public.exercises (
  id uuid primary key default gen_random_uuid(),
  lesson_id uuid not null references public.lessons (id) on delete cascade,
  slug text not null check (slug ~ '^[a-z0-9][a-z0-9-]{0,99}$'),
  title text not null check (char_length(title) between 1 and 200),
  kind text not null default 'exercise' check (kind in ('exercise', 'quiz')),
  position integer not null default 0,
  published boolean not null default true,
  max_score integer check (max_score > 0),
  -- Share of max_score that passes (0.7 = 70 %); null: the client's own verdict stands.
  pass_mark numeric(4, 3) check (pass_mark > 0 and pass_mark <= 1),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (lesson_id, slug)
);

-- An item (lesson or module) that may be started only once the required one (lesson or module)
-- is complete. Exactly one column of each pair is set; foreign keys keep it consistent.
create table public.prerequisites (
  id bigint generated always as identity primary key,
  lesson_id uuid references public.lessons (id) on delete cascade,
  module_id uuid references public.modules (id) on delete cascade,
  required_lesson_id uuid references public.lessons (id) on delete cascade,
  required_module_id uuid references public.modules (id) on delete cascade,
  check (num_nonnulls(lesson_id, module_id) = 1),
  check (num_nonnulls(required_lesson_id, required_module_id) = 1),
  check (lesson_id <> required_lesson_id),
  check (module_id <> required_module_id)
);
create unique index prerequisites_unique on public.prerequisites
  (coalesce(lesson_id, module_id), coalesce(required_lesson_id, required_module_id));

/** Section - Indexes (every foreign key a roll-up or policy follows, every listing filter) */
create index courses_theme_id on public.courses (theme_id);
create index courses_instructor_id on public.courses (instructor_id);
create index courses_category on public.courses (category) where published;
create index courses_difficulty on public.courses (difficulty_level) where published;
create index modules_course_id on public.modules (course_id, position);
create index lessons_module_id on public.lessons (module_id, position);
create index exercises_lesson_id on public.exercises (lesson_id);
create index prerequisites_lesson_id on public.prerequisites (lesson_id) where lesson_id is not null;
create index prerequisites_module_id on public.prerequisites (module_id) where module_id is not null;
create index prerequisites_required_lesson_id on public.prerequisites (required_lesson_id);
create index prerequisites_required_module_id on public.prerequisites (required_module_id);

/** Section - Views */

-- One row per lesson with its ancestry and whether it counts: a lesson counts in denominators
-- only when it, its module and its course are all published.
create view public.lesson_catalog
with (security_invoker = true)
as
select
  l.id as lesson_id,
  l.module_id,
  m.course_id,
  c.theme_id,
  l.title,
  l.position,
  m.position as module_position,
  l.duration_seconds,
  c.is_premium,
  (l.published and m.published and c.published and c.source = 'catalog') as counts
from public.lessons l
join public.modules m on m.id = l.module_id
join public.courses c on c.id = m.course_id;

/** Section - Triggers */
create trigger themes_updated_at before update on public.themes
  for each row execute function private.touch_updated_at();
create trigger courses_updated_at before update on public.courses
  for each row execute function private.touch_updated_at();
create trigger modules_updated_at before update on public.modules
  for each row execute function private.touch_updated_at();
create trigger lessons_updated_at before update on public.lessons
  for each row execute function private.touch_updated_at();
create trigger exercises_updated_at before update on public.exercises
  for each row execute function private.touch_updated_at();

/** Section - Course totals */

-- How many counting lessons each course has, kept by triggers on the catalog, so that the overall
-- roll-up reads one row per course instead of counting every lesson of the catalog per call.
create table private.course_lesson_totals (
  course_id uuid primary key references public.courses (id) on delete cascade,
  lessons integer not null default 0
);

-- Recounts one course. The course row's lock serialises concurrent catalog edits of one course,
-- so the last recount sees every committed lesson.
create or replace function private.refresh_course_totals(p_course_id uuid)
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform 1 from public.courses where id = p_course_id for no key update;
  if found then
    insert into private.course_lesson_totals (course_id, lessons)
    select p_course_id, count(*) from public.lesson_catalog lc where lc.course_id = p_course_id and lc.counts
    on conflict (course_id) do update set lessons = excluded.lessons;
  end if;
end;
$$;

-- Security definer: instructors edit their courses directly (RLS), and the totals are not theirs to write.
create or replace function private.catalog_changed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_old uuid;
  v_new uuid;
begin
  if tg_table_name = 'lessons' then
    if tg_op <> 'INSERT' then v_old := (select m.course_id from public.modules m where m.id = old.module_id); end if;
    if tg_op <> 'DELETE' then v_new := (select m.course_id from public.modules m where m.id = new.module_id); end if;
  elsif tg_table_name = 'modules' then
    if tg_op <> 'INSERT' then v_old := old.course_id; end if;
    if tg_op <> 'DELETE' then v_new := new.course_id; end if;
  else
    v_new := new.id;
  end if;
  if v_old is not null then perform private.refresh_course_totals(v_old); end if;
  if v_new is not null and v_new is distinct from v_old then perform private.refresh_course_totals(v_new); end if;
  return null;
end;
$$;

create trigger lessons_course_totals after insert or delete or update of module_id, published on public.lessons
  for each row execute function private.catalog_changed();
create trigger modules_course_totals after insert or delete or update of course_id, published on public.modules
  for each row execute function private.catalog_changed();
create trigger courses_course_totals after insert or update of published, source on public.courses
  for each row execute function private.catalog_changed();

/** Section - RLS Policies */
alter table public.themes enable row level security;
alter table public.courses enable row level security;
alter table public.modules enable row level security;
alter table public.lessons enable row level security;
alter table public.exercises enable row level security;
alter table public.prerequisites enable row level security;

create policy "Published themes are visible to everyone"
  on public.themes for select to anon, authenticated
  using (published or (select private.is_admin()));
create policy "Admins manage themes"
  on public.themes for all to authenticated
  using ((select private.is_admin())) with check ((select private.is_admin()));

create policy "Published courses are visible to everyone"
  on public.courses for select to anon, authenticated
  using (published or (select private.is_admin()));
create policy "Admins manage courses"
  on public.courses for all to authenticated
  using ((select private.is_admin())) with check ((select private.is_admin()));
create policy "Instructors see their unpublished courses"
  on public.courses for select to authenticated using (instructor_id = (select auth.uid()));
create policy "Instructors create courses as themselves"
  on public.courses for insert to authenticated
  with check (instructor_id = (select auth.uid()) and (select private.is_instructor()));
create policy "Instructors manage their own courses"
  on public.courses for update to authenticated
  using (instructor_id = (select auth.uid()) and (select private.is_instructor()))
  with check (instructor_id = (select auth.uid()));

create policy "Modules of published courses are visible to everyone"
  on public.modules for select to anon, authenticated
  using (
    (published and exists (select 1 from public.courses c where c.id = course_id and c.published))
    or (select private.is_admin())
  );
create policy "Admins manage modules"
  on public.modules for all to authenticated
  using ((select private.is_admin())) with check ((select private.is_admin()));

create policy "Published lessons are visible to everyone"
  on public.lessons for select to anon, authenticated
  using (
    (published and exists (
      select 1 from public.modules m join public.courses c on c.id = m.course_id
      where m.id = module_id and m.published and c.published))
    or (select private.is_admin())
  );
create policy "Admins manage lessons"
  on public.lessons for all to authenticated
  using ((select private.is_admin())) with check ((select private.is_admin()));

create policy "Exercises of published lessons are visible to everyone"
  on public.exercises for select to anon, authenticated
  using (
    (published and exists (
      select 1 from public.lesson_catalog lc where lc.lesson_id = exercises.lesson_id and lc.counts))
    or (select private.is_admin())
  );
create policy "Admins manage exercises"
  on public.exercises for all to authenticated
  using ((select private.is_admin())) with check ((select private.is_admin()));

create policy "Prerequisites are visible to everyone"
  on public.prerequisites for select to anon, authenticated
  using (true);
create policy "Admins manage prerequisites"
  on public.prerequisites for all to authenticated
  using ((select private.is_admin())) with check ((select private.is_admin()));

/** Section - Column privileges */
-- Instructors (their own courses) and admins write a course's description, never what the
-- service keeps: counters (enrollments, ratings: triggers), `source` and `external_key`
-- (tutorials), timestamps. The anon key writes nothing.
revoke insert, update, delete on public.themes, public.courses, public.modules, public.lessons,
  public.exercises, public.prerequisites from anon;
revoke insert, update on public.courses from authenticated;
grant insert (id, theme_id, slug, title, position, published, is_premium, description, thumbnail_url,
              instructor_id, difficulty_level, estimated_duration_hours, price, tags, category)
  on public.courses to authenticated;
grant update (theme_id, slug, title, position, published, is_premium, description, thumbnail_url,
              difficulty_level, estimated_duration_hours, price, tags, category)
  on public.courses to authenticated;
