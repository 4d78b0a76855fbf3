from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "first_name", "role", "department", "is_active", "last_login"]
    list_filter = ["role", "department", "is_active"]
    raw_id_fields = ["enterprise"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("角色与部门"), {"fields": ("role", "department", "enterprise")}),
    )
