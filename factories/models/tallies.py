"""Summary tables of the register and of the grades (issue 19, cold pages): exact counts per management unit,
kept by PostgreSQL triggers in the same transaction as every write that changes them.

Counting 100,000 enterprises or grading results on every dashboard or list request was most of the cost of
those pages with the data cache off. These rows hold the same numbers, grouped by what the dashboards and
the list totals need. They are maintained by statement-level triggers (migration 0017), so every write path
is covered the same way: services, bulk imports, `bulk_create`, `QuerySet.update`, deletes and the COPY of a
grading run; a transaction that rolls back takes its tally changes with it. The unit of a row is the
enterprise's *current* management unit (the unit the scoping of `visible_to` follows); a transfer moves the
enterprise's rows from one unit to the other.

Read them through `factories.tallies`, which also says when they cannot be used (another database than
PostgreSQL: the triggers exist only there, and the pages count as before).
"""

from __future__ import annotations

from django.db import models

from accounts import datacache

# The writes that change them (the data cache sees these, not the triggers' own writes).
datacache.DERIVED.update(
    {
        "factories_registertally": {"factories_enterprise", "factories_greenfactory"},
        "factories_gradetally": {"factories_gradingresult", "factories_enterprise"},
    }
)


class RegisterTally(models.Model):
    """Enterprises of one unit (`green_status` and `tier` empty), or its green factories of one status and tier."""

    district = models.ForeignKey(
        "factories.District", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    green_status = models.CharField(max_length=10, blank=True, default="")
    tier = models.CharField(max_length=10, blank=True, default="")
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["district", "green_status", "tier"], name="register_tally_key")
        ]

    def __str__(self) -> str:
        return f"{self.district_id} {self.green_status or 'enterprises'} {self.tier} {self.n}"


class GradeTally(models.Model):
    """Results of one run by the unit and industry at grading time, the enterprise's current unit and grade."""

    run = models.ForeignKey(
        "factories.GradingRun", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    year = models.PositiveSmallIntegerField()
    district = models.ForeignKey(
        "factories.District", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    industry = models.ForeignKey(
        "factories.Industry", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    scope_district = models.ForeignKey(
        "factories.District", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    grade = models.CharField(max_length=4)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "year", "district", "industry", "scope_district", "grade"],
                name="grade_tally_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.district_id} {self.industry_id} {self.scope_district_id} {self.grade} {self.n}"
