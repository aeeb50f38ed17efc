"""The only code that talks to Supabase. Services return plain data and raise domain errors."""
