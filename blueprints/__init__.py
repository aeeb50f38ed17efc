"""One blueprint per contract, plus the shared error and identity plumbing."""
