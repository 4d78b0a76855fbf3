"""Editing the plan's data (administrators). Seeding never overwrites these edits."""

from django.contrib import admin

from dezhou_carbon.admin_access import PermissionRuleAdmin, administrators_only
from tasks.models import Department, Plan, Responsibility, Section, Task, WorkItem


class PlanDataAdmin(PermissionRuleAdmin, admin.ModelAdmin):
    edit_rule = staticmethod(administrators_only)


class ResponsibilityInline(PermissionRuleAdmin, admin.TabularInline):
    edit_rule = staticmethod(administrators_only)
    allow_delete = True
    model = Responsibility
    extra = 0
    fields = ["department", "role", "order"]


class WorkItemInline(PermissionRuleAdmin, admin.TabularInline):
    edit_rule = staticmethod(administrators_only)
    allow_delete = True
    model = WorkItem
    extra = 0
    fields = ["code", "title_zh", "title_en", "due_year", "order"]


@admin.register(Plan)
class PlanAdmin(PlanDataAdmin):
    list_display = ["code", "name_zh", "base_year", "first_milestone_year", "second_milestone_year"]


@admin.register(Department)
class DepartmentAdmin(PlanDataAdmin):
    list_display = ["code", "name_zh", "name_en", "order", "is_active"]
    list_editable = ["order", "is_active"]


@admin.register(Section)
class SectionAdmin(PlanDataAdmin):
    list_display = ["plan", "numeral", "title_zh", "order"]


@admin.register(Task)
class TaskAdmin(PlanDataAdmin):
    list_display = ["code", "title_zh", "section", "kind", "order"]
    list_filter = ["section", "kind"]
    search_fields = ["code", "title_zh", "title_en", "text_zh"]
    inlines = [ResponsibilityInline, WorkItemInline]
