"""HTML pages of the plan."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from accounts.permissions import can_use_product
from tasks.selectors import plan_page_data


def home(request):
    return redirect("plan")


@login_required
def plan_page(request):
    """Sections → tasks → lead and support units → targets."""
    if not can_use_product(request.user):
        raise PermissionDenied
    return render(request, "tasks/plan.html", {"plan": plan_page_data()})
