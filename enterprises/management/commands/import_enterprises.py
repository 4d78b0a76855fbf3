"""`python manage.py import_enterprises FILE [--dry-run] [--user NAME]`: the enterprise
register from xlsx or CSV, all or nothing (enterprises/register_file.py has the columns)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import system_user
from dezhou_carbon.exceptions import ApplicationError
from enterprises.services import register_import
from indicators.importing import read_table


class Command(BaseCommand):
    help = "Import the enterprise register (xlsx or CSV): all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="show what would change")
        parser.add_argument("--user", help="act as this user (default: the system account)")

    def handle(self, *args, file, dry_run=False, user=None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在 / file not found: {file}")
        actor = User.objects.get(username=user) if user else system_user()
        try:
            table, formula_cells, _encoding = read_table(path.read_bytes(), path.name)
            outcome = register_import(
                user=actor,
                table=table,
                formula_cells=formula_cells,
                filename=path.name,
                dry_run=dry_run,
            )
        except ApplicationError as error:
            self.stderr.write(f"{error.message_zh}\n{error.message_en}")
            for row in (error.details or [])[:200] if isinstance(error.details, list) else []:
                self.stderr.write(
                    f"  第{row['line']}行 line {row['line']} [{row['column']}] "
                    f"{row['message_zh']} / {row['message_en']}"
                )
            raise CommandError(error.code) from error
        verb = "将 / would" if dry_run else "已 / did"
        self.stdout.write(
            f"{verb}: 新增 {len(outcome.created)} 家 create; "
            f"变更 {len({c['code'] for c in outcome.changed})} 家 change; "
            f"{outcome.unchanged} 家未变化 unchanged"
        )
        for change in outcome.changed[:200]:
            self.stdout.write(
                f"  {change['code']} {change['field']}: {change['old']} → {change['new']}"
            )
