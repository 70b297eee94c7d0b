"""factory_boy factories for tests (named so as not to collide with the `factories` app)."""

from __future__ import annotations

import factory

from accounts.models import Role, User
from factories.creditcode import make_credit_code
from factories.models import District, Enterprise, GreenFactory, Industry, LegalForm, Tier


def district(code: str) -> District:
    return District.objects.get(code=code)


def industry(code: str) -> Industry:
    return Industry.objects.get(code=code)


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"重庆测试制造有限公司{n:04d}")
    credit_code = factory.Sequence(lambda n: make_credit_code("91", "500103", f"{n + 10000000:08d}"))
    district = factory.LazyFunction(lambda: district("500103"))
    industry = factory.LazyFunction(lambda: industry("36"))
    industry_code = factory.LazyAttribute(lambda o: o.industry.code)
    legal_form = LegalForm.LEGAL_PERSON
    address = "重庆市渝中区解放碑"
    contact_name = "张伟"
    contact_phone = "023-63000000"


class GreenFactoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GreenFactory

    enterprise = factory.SubFactory(EnterpriseFactory)
    tier = Tier.CITY
    recognized_year = 2021


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.AUDITOR
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create:
            obj.save()
