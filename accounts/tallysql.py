"""SQL for summary tables kept by PostgreSQL triggers (issue 19, cold pages), shared by the apps' migrations.

A tally table holds a count `n` per key. Statement-level triggers with transition tables add +1 for every
new row and −1 for every old row of each statement, grouped by key (one upsert per statement, in key order,
so concurrent writers lock tally rows in the same order), and skip keys whose change is zero (an UPDATE that
moves nothing). They run inside the writing transaction: a rollback undoes them with the write.

`Tally.source` is a SELECT of the key columns from `{rows}` (the transition table, or the table itself
when the tally is first filled), joined with what it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Tally:
    name: str  # of the trigger function
    table: str  # the tally table
    keys: tuple[str, ...]  # its key columns (the unique constraint)
    watched: str  # the table whose writes change it
    source: str  # SELECT <key expressions> FROM {rows} r ...
    events: tuple[str, ...] = ("INSERT", "UPDATE", "DELETE")

    def _upsert(self, parts: list[tuple[str, int]]) -> str:
        keys = ", ".join(self.keys)
        union = "\n      UNION ALL\n      ".join(
            self.source.format(rows=rows, sign=sign) for rows, sign in parts
        )
        return (
            f"INSERT INTO {self.table} AS t ({keys}, n)\n"
            f"    SELECT {keys}, sum(d) FROM (\n      {union}\n    ) x({keys}, d)\n"
            f"    GROUP BY {keys} HAVING sum(d) <> 0 ORDER BY {keys}\n"
            f"    ON CONFLICT ({keys}) DO UPDATE SET n = t.n + EXCLUDED.n;"
        )

    def create(self) -> str:
        body = (
            f"  IF TG_OP = 'INSERT' THEN\n    {self._upsert([('new_rows', 1)])}\n"
            f"  ELSIF TG_OP = 'DELETE' THEN\n    {self._upsert([('old_rows', -1)])}\n"
            f"  ELSE\n    {self._upsert([('new_rows', 1), ('old_rows', -1)])}\n  END IF;\n"
        )
        sql = [
            f"CREATE OR REPLACE FUNCTION {self.name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{body}  RETURN NULL;\nEND $$;"
        ]
        for event in self.events:
            referencing = {
                "INSERT": "NEW TABLE AS new_rows",
                "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                "DELETE": "OLD TABLE AS old_rows",
            }[event]
            sql.append(
                f"CREATE TRIGGER {self.name}_{event.lower()[:3]} AFTER {event} ON {self.watched} "
                f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {self.name}();"
            )
        return "\n".join(sql)

    def fill(self) -> str:
        """Count what is already there (the migration that creates the triggers)."""
        return self._upsert([(self.watched, 1)])

    def drop(self) -> str:
        drops = [
            f"DROP TRIGGER IF EXISTS {self.name}_{e.lower()[:3]} ON {self.watched};" for e in self.events
        ]
        return "\n".join([*drops, f"DROP FUNCTION IF EXISTS {self.name}();"])


def install(tallies: list[Tally]) -> Any:
    """RunPython forwards: create the triggers and fill the tallies (PostgreSQL only; elsewhere the pages
    count as before, see `accounts.tallies.available`)."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for tally in tallies:
            schema_editor.execute(tally.drop())
            schema_editor.execute(tally.create())
            if tally.events != ("UPDATE",):
                schema_editor.execute(tally.fill())

    return forwards


def uninstall(tallies: list[Tally]) -> Any:
    def backwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for tally in tallies:
            schema_editor.execute(tally.drop())

    return backwards
