import pytest
from django.db import connection

@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a(live_server):
    from factories.models import District
    print("A", hasattr(connection, "_test_serialized_contents"), len(getattr(connection, "_test_serialized_contents", "")), District.objects.count())

@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_b(live_server):
    from factories.models import District
    print("B", hasattr(connection, "_test_serialized_contents"), len(getattr(connection, "_test_serialized_contents", "")), District.objects.count())
