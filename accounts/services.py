"""Writes to people and roles."""

from django.db import transaction

from accounts.models import User

SYSTEM_USERNAME = "system-cli"


@transaction.atomic
def system_user() -> User:
    """The account command-line tools act as (an administrator that cannot log in), so
    every import or recompute started from a shell is still attributed in the audit trail."""
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"role": User.Role.ADMINISTRATOR, "first_name": "命令行", "is_active": True},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
