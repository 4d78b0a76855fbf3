"""HTML pages of the plan."""

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from accounts.permissions import can_use_product
from dezhou_carbon.navigation import start_page
from tasks.selectors import plan_page_data


def home(request):
    """Each person's own starting point (dezhou_carbon.navigation.start_page); sign in first."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return redirect(start_page(request.user))


@login_required
def plan_page(request):
    """Sections → tasks → lead and support units → targets."""
    if not can_use_product(request.user):
        raise PermissionDenied
    return render(request, "tasks/plan.html", {"plan": plan_page_data()})
