"""`python manage.py setup_park [--demo]`: migrate, then load or refresh the plan."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from dezhou_carbon.seeding import SeedReport
from indicators.seed import indicators_seed
from tasks.services import plan_seed


class Command(BaseCommand):
    help = "Migrate the database and load the carbon-peak plan from fixtures/ (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Also create one demo account per role and demo statistics (local trial only).",
        )

    def handle(self, *args, demo: bool = False, **options):
        call_command("migrate", interactive=False, verbosity=0)
        report = SeedReport()
        plan_seed(report=report)
        from tasks.models import Plan

        for plan in Plan.objects.all():
            indicators_seed(plan=plan, report=report)
        from dezhou_carbon.seeding import reference_data_seed

        reference_data_seed()
        self.stdout.write(
            f"方案数据 / plan data: created {len(report.created)}, updated {len(report.updated)}, "
            f"unchanged {report.unchanged}, administrator edits kept {len(report.kept_edits)}"
        )
        for label in report.kept_edits:
            self.stdout.write(f"  保留管理员修改 / kept administrator edit: {label}")
        if demo:
            from accounts.demo import demo_setup

            def say(step: str) -> None:
                self.stdout.write(f"  ... {step}")
                self.stdout.flush()

            for line in demo_setup(say):
                self.stdout.write(line)
            from footprints.demo import footprints_demo

            for line in footprints_demo():
                self.stdout.write(line)
            from enterprises.demo import enterprises_demo

            for line in enterprises_demo():
                self.stdout.write(line)
            from enterprises.manager_demo import energy_managers_demo

            for line in energy_managers_demo():
                self.stdout.write(line)
            from enterprises.work_demo import enterprise_work_demo

            for line in enterprise_work_demo():
                self.stdout.write(line)
            from enterprises.product_demo import product_output_demo

            for line in product_output_demo():
                self.stdout.write(line)
            from projects.demo import projects_demo

            for line in projects_demo():
                self.stdout.write(line)
            from assessment.demo import assessment_demo

            for line in assessment_demo():
                self.stdout.write(line)
            from budgets.demo import budgets_demo

            for line in budgets_demo():
                self.stdout.write(line)
            from pilot.demo import pilot_demo

            for line in pilot_demo():
                self.stdout.write(line)
