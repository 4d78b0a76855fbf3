"""Who may use which admin pages; the rules themselves live in accounts.permissions."""

from accounts import permissions


class PermissionRuleAdmin:
    """Admin permissions from one rule function of accounts.permissions (no per-model
    Django permissions to maintain). `read_rule` may grant viewing only."""

    edit_rule = staticmethod(permissions.can_manage_reference_data)
    read_rule = None
    allow_delete = False

    def _can_edit(self, request) -> bool:
        return self.edit_rule(request.user)

    def has_module_permission(self, request):
        return self._can_edit(request) or bool(self.read_rule and self.read_rule(request.user))

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request, *args):
        return self._can_edit(request)

    def has_change_permission(self, request, obj=None):
        return self._can_edit(request)

    def has_delete_permission(self, request, obj=None):
        return self.allow_delete and self._can_edit(request)


def administrators_only(user) -> bool:
    return permissions.can_approve_on_import(user)
