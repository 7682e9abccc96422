"""The ledger's text index (plans.search_index): bigram tables for measures' and problems' texts,
filled from the rows already there. Not Django models, so no later schema change of plans_measure
or plans_problem touches them (an SQLite table rebuild would have dropped triggers)."""

from typing import Any

from django.db import migrations


def create_and_fill(apps: Any, schema_editor: Any) -> None:
    from rectify.plans import search_index

    search_index.reindex(schema_editor.connection)


def drop(apps: Any, schema_editor: Any) -> None:
    from rectify.plans import search_index

    search_index.drop_tables(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0010_assignment_board_indexes"),
    ]

    operations = [
        migrations.RunPython(create_and_fill, drop, elidable=False),
    ]
