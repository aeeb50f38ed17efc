"""The catalog: importing a whole tree in one transaction."""

from __future__ import annotations

from .supabase import rpc


def import_catalog(tree: dict) -> dict:
    """Upsert the tree by id; return counts of what was added, changed and unpublished."""
    return rpc("import_catalog", catalog=tree)


def published_tree() -> list[dict]:
    """Themes > courses > modules > lessons, published only, in order."""
    return rpc("published_catalog")
