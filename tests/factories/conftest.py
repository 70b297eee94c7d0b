"""A small graded world: eight city-level green factories in 汽车制造业 with verified data for 2024 and 2025,
whose reporting windows have closed."""

from __future__ import annotations

import pytest


@pytest.fixture
def graded_world(yuzhong, jiangjin):  # type: ignore[no-untyped-def]
    from factories.creditcode import make_credit_code
    from tests.helpers import close_windows
    from tests.model_factories import (
        EnterpriseFactory,
        GreenFactoryFactory,
        plausible_raw,
        verified_submission,
    )

    close_windows(2024, 2025)
    factories = []
    for n in range(8):
        district = yuzhong if n < 5 else jiangjin
        enterprise = EnterpriseFactory(
            name=f"重庆汽车部件{n}厂",
            district=district,
            credit_code=make_credit_code("91", district.code, f"{n + 30000000:08d}"),
        )
        GreenFactoryFactory(enterprise=enterprise, tier="city", recognized_year=2021 if n != 7 else 2025)
        for year in (2024, 2025):
            verified_submission(enterprise, year, plausible_raw(n, year))
        factories.append(enterprise)
    return factories
