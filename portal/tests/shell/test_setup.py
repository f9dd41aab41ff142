"""`manage.py setup_portal`: staff groups and every schedule, idempotent."""

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from portal.shell.schedules import SCHEDULES

pytestmark = pytest.mark.django_db


def test_setup_creates_every_schedule_once():
    call_command("setup_portal")
    call_command("setup_portal")
    assert sorted(Schedule.objects.values_list("name", "func")) == sorted((name, func) for name, func, *_ in SCHEDULES)


def test_setup_removes_a_job_no_longer_listed():
    Schedule.objects.create(name="old job", func="referrals.tasks.gone", schedule_type=Schedule.DAILY)
    Schedule.objects.create(name="someone else's", func="other.app.job", schedule_type=Schedule.DAILY)
    call_command("setup_portal")
    assert not Schedule.objects.filter(name="old job").exists()
    assert Schedule.objects.filter(name="someone else's").exists()


@pytest.mark.parametrize("func", [func for _, func, *_ in SCHEDULES])
def test_every_scheduled_function_exists(func):
    from django.utils.module_loading import import_string

    assert callable(import_string(func))
