"""`python manage.py indicator_values --format json|csv [--indicator CODE] [--period P]`."""

import csv
import json

from django.core.management.base import BaseCommand

from indicators.exchange import OUTPUT_FIELDS, result_row
from indicators.selectors import indicator_results


class Command(BaseCommand):
    help = "Print computed indicator values (data-exchange §3)."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument("--indicator")
        parser.add_argument("--period")
        parser.add_argument("--scope", default="")
        parser.add_argument("--variant", default="")

    def handle(
        self, *args, format="json", indicator=None, period=None, scope="", variant="", **options
    ):
        rows = [
            result_row(r)
            for r in indicator_results(
                indicator=indicator, period=period, scope=scope, variant=variant
            )
        ]
        if format == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        writer = csv.DictWriter(self.stdout, fieldnames=OUTPUT_FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            row["method"] = json.dumps(row["method"], ensure_ascii=False)
            row["input_figure_ids"] = " ".join(str(i) for i in row["input_figure_ids"])
            writer.writerow(row)
