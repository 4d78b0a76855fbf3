"""`python manage.py recompute_indicators`: recompute every stored result now."""

from django.core.management.base import BaseCommand

from indicators.recompute import compute_lock, results_recompute


class Command(BaseCommand):
    help = "Recompute all indicator results synchronously (every scope, every period)."

    def add_arguments(self, parser):
        parser.add_argument("--from-year", type=int, default=None)

    def handle(self, *args, from_year=None, **options):
        with compute_lock() as acquired:
            if not acquired:
                self.stderr.write("另一个进程正在重算，请稍后再试 / another recompute is running")
                return
            stats = results_recompute(from_year=from_year)
        self.stdout.write(
            f"重算完成 / recomputed: {stats.scopes} scopes, {stats.written} results written, "
            f"{stats.deleted} removed"
        )
