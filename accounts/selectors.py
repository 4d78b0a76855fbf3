"""Who to tell: the active people of a department or a role."""

from accounts.models import User

DEPARTMENT_STAFF = (User.Role.CLERK, User.Role.HEAD)


def department_staff(department, *roles: str) -> list[User]:
    """Active people of `department` with one of `roles` (default: its clerks and head)."""
    return list(
        User.objects.filter(
            department=department, role__in=roles or DEPARTMENT_STAFF, is_active=True
        )
    )


def people_with_role(role: str) -> list[User]:
    """Active people with `role` (the committee, the statistics office …)."""
    return list(User.objects.filter(role=role, is_active=True))
