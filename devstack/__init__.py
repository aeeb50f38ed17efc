"""The local Supabase-compatible stack (PostgreSQL, PostgREST, nginx) used by make run and make test."""
