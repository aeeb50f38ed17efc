-- Idempotent retries for every write: `Idempotency-Key` per learner, with a fingerprint of the
-- request and the response, stored in the same transaction as the write it answers. A retry
-- replays the response; the same key with another request is 422; while the first request is
-- still running, 409. Keys expire after p_ttl_hours (24 by default).

/** Section - Public functions */

create or replace function public.idempotent_call(
  p_learner_id uuid, p_key text, p_fingerprint text, p_function text, p_args jsonb, p_ttl_hours integer default 24)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_replay jsonb;
  v_result jsonb;
  v_call text;
begin
  if p_function <> all (array[
      'mark_lesson_complete', 'unmark_lesson_complete', 'update_content_progress', 'enroll', 'unenroll',
      'save_progress_document', 'delete_progress_document', 'claim_browser_learner', 'record_chapter',
      'record_quiz_attempt', 'complete_tutorial', 'reset_tutorial', 'save_course', 'record_lesson_progress',
      'record_lesson_quiz_attempt', 'rate_course', 'update_learner_settings', 'mark_notification_read']) then
    perform private.fail(400, 'not_idempotent', 'This operation does not take an Idempotency-Key.', '{}');
  end if;
  v_replay := private.idempotent_replay(p_learner_id, p_key, p_fingerprint, p_ttl_hours);
  if v_replay is not null then
    return v_replay;
  end if;
  select string_agg(format('%I => %L', key,
           case jsonb_typeof(value) when 'null' then null when 'string' then value #>> '{}' else value::text end), ', ')
  into v_call
  from jsonb_each(p_args);
  execute format('select public.%I(%s)', p_function, v_call) into v_result;
  return private.idempotent_store(p_learner_id, p_key, p_fingerprint, v_result, p_ttl_hours);
end;
$$;
revoke execute on function public.idempotent_call(uuid, text, text, text, jsonb, integer) from public, anon, authenticated;
grant execute on function public.idempotent_call(uuid, text, text, text, jsonb, integer) to service_role;
