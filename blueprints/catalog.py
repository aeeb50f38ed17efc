"""Catalog administration: `flask catalog import FILE`."""

from __future__ import annotations

import json
from pathlib import Path

import click
import yaml
from flask import Blueprint

from schemas.catalog import catalog_schema, describe_errors
from services.catalog import import_catalog
from services.errors import ServiceError

bp = Blueprint("catalog", __name__, cli_group="catalog")


def read_catalog_file(path: Path) -> dict:
    """Parse JSON or YAML (by extension) and validate its shape; raise ClickException naming
    every bad item and field."""
    text = path.read_text()
    try:
        data = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
    except (ValueError, yaml.YAMLError) as error:
        raise click.ClickException(f"{path}: not valid {path.suffix.lstrip('.').upper()}: {error}") from error
    if not isinstance(data, dict):
        raise click.ClickException(f"{path}: the file must hold an object with a 'themes' list.")
    errors = catalog_schema.validate(data)
    if errors:
        raise click.ClickException(f"{path} was not imported:\n  " + "\n  ".join(describe_errors(errors, data)))
    return data


@bp.cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Upsert a catalog file (JSON or YAML) by id; report what was added, changed, unpublished."""
    tree = read_catalog_file(file)
    try:
        report = import_catalog(tree)
    except ServiceError as error:
        detail = f" {json.dumps(error.details)}" if error.details else ""
        raise click.ClickException(f"{file} was not imported: {error.message}{detail}") from error
    for level in ("themes", "courses", "modules", "lessons", "exercises"):
        counts = report[level]
        click.echo(
            f"{level:>10}: {counts['added']} added, {counts['changed']} changed, "
            f"{counts['unpublished']} unpublished"
        )
    click.echo(f"{'prerequisites':>10}: {report['prerequisites']}")
