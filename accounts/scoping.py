"""Role scoping written once (NetBox-style `restrict`).

Every queryset of scoped data knows which rows a user may see, and the base views and viewsets
apply it, so no view can forget it. City staff and auditors see the whole city; a district user
sees the rows of its management unit; an enterprise user sees its own enterprise's rows; anyone
else sees nothing. Rows outside the scope are simply absent, so detail views answer 404.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from django.db import models


def district_scope(user: Any) -> int | None:
    """The management unit a district user's scoped rows belong to, or None for every other user (a user
    of the whole city, an enterprise, an inactive account, a district user without a unit)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return user.district_id if user.role == "district" and user.district_id else None


class ScopedQuerySet(models.QuerySet):
    """A queryset that restricts itself to what a user may see.

    Subclasses name the lookup from the model to the management unit (`district_lookup`) and to
    the enterprise (`enterprise_lookup`). A role whose lookup is `None` sees no row, unless
    `shared_with_all` marks the model as city-wide reference data.
    """

    district_lookup: ClassVar[str | None] = None
    enterprise_lookup: ClassVar[str | None] = None
    shared_with_all: ClassVar[bool] = False

    def visible_to(self, user: Any) -> Self:
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if self.shared_with_all or user.sees_whole_city:
            return self
        if self.district_lookup and (district := district_scope(user)) is not None:
            return self.filter(**{self.district_lookup: district})
        if user.role == "enterprise" and self.enterprise_lookup and user.enterprise_id:
            return self.filter(**{self.enterprise_lookup: user.enterprise_id})
        return self.none()
