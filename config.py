"""Every setting the service reads, each documented in .env.example."""

from __future__ import annotations

import os

from dotenv import load_dotenv

load_dotenv()


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in ("1", "true", "yes", "on")


class Config:
    """Read once at import; the app factory copies it into `app.config`."""

    SUPABASE_URL = os.environ.get("SUPABASE_URL", "http://127.0.0.1:54321")
    SUPABASE_SERVICE_ROLE_KEY = os.environ.get("SUPABASE_SERVICE_ROLE_KEY", "")
    SUPABASE_JWT_SECRET = os.environ.get("SUPABASE_JWT_SECRET", "")
    SUPABASE_TIMEOUT = _float("SUPABASE_TIMEOUT", 5.0)
    JWKS_CACHE_SECONDS = _int("JWKS_CACHE_SECONDS", 600)

    ANONYMOUS_LEARNERS = os.environ.get("ANONYMOUS_LEARNERS", "token")
    LEARNER_TOKEN_TTL = _int("LEARNER_TOKEN_TTL", 365 * 24 * 3600)

    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 256 * 1024)
    IDEMPOTENCY_TTL_HOURS = _int("IDEMPOTENCY_TTL_HOURS", 24)
    RETRY_AFTER_SECONDS = _int("RETRY_AFTER_SECONDS", 2)

    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_DEFAULT = os.environ.get("RATELIMIT_DEFAULT", "300 per minute")
    RATELIMIT_WRITE = os.environ.get("RATELIMIT_WRITE", "120 per minute")

    MAX_LESSONS_PER_SAVE = _int("MAX_LESSONS_PER_SAVE", 500)
    MAX_SECONDS_PER_LESSON = _int("MAX_SECONDS_PER_LESSON", 86_400)
    HISTORY_RETENTION_DAYS = _int("HISTORY_RETENTION_DAYS", 90)
    # `flask maintenance prune`: read notifications are kept this long (history and idempotency
    # keys follow HISTORY_RETENTION_DAYS and IDEMPOTENCY_TTL_HOURS).
    NOTIFICATION_RETENTION_DAYS = _int("NOTIFICATION_RETENTION_DAYS", 180)
    # Where PostgREST runs the pre-request hook, every call checks its learner. Without it: how
    # long the service trusts a learner's check before it asks again (erased, or an account
    # deleted), the bound on how long an old token works; and how often it looks for the hook.
    IDENTITY_RECHECK_SECONDS = _int("IDENTITY_RECHECK_SECONDS", 60)

    # Seed 002: share of a chapter's catalog duration that completes it, and per-endpoint limits.
    CHAPTER_COMPLETION_SHARE = _float("CHAPTER_COMPLETION_SHARE", 0.95)
    RATELIMIT_TUTORIAL_READ = os.environ.get("RATELIMIT_TUTORIAL_READ", "60 per minute")
    RATELIMIT_TUTORIAL_CHAPTER = os.environ.get("RATELIMIT_TUTORIAL_CHAPTER", "30 per minute")
    RATELIMIT_TUTORIAL_QUIZ = os.environ.get("RATELIMIT_TUTORIAL_QUIZ", "10 per minute")
    RATELIMIT_TUTORIAL_COMPLETE = os.environ.get("RATELIMIT_TUTORIAL_COMPLETE", "5 per minute")
    RATELIMIT_TUTORIAL_RESET = os.environ.get("RATELIMIT_TUTORIAL_RESET", "5 per minute")

    # Instructor insight: a learner inactive this many days, not done, needs a nudge.
    INSIGHT_INACTIVE_DAYS = _int("INSIGHT_INACTIVE_DAYS", 7)

    # Seed 001: how long the leaderboard is served from memory.
    LEADERBOARD_CACHE_SECONDS = _int("LEADERBOARD_CACHE_SECONDS", 60)

    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    # /metrics is served only to a scraper that sends `Authorization: Bearer <METRICS_TOKEN>`;
    # without one it is not served at all.
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
    # Comma-separated origins allowed to call the API from a browser (none by default).
    CORS_ORIGINS = os.environ.get("CORS_ORIGINS", "")
