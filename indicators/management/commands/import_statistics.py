"""`python manage.py import_statistics FILE [--dry-run] [--approve]` (data-exchange §2)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import system_user
from dezhou_carbon.exceptions import ApplicationError
from indicators.exchange import item_specs
from indicators.services import import_file_read, statistics_import


class Command(BaseCommand):
    help = "Import statistics from CSV (UTF-8 or GBK) or xlsx: all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="show what would change")
        parser.add_argument(
            "--approve",
            action="store_true",
            help="land the figures approved (administrators loading history)",
        )
        parser.add_argument("--user", help="act as this user (default: the system account)")

    def handle(self, *args, file, dry_run=False, approve=False, user=None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在 / file not found: {file}")
        actor = User.objects.get(username=user) if user else system_user()
        try:
            # The same reader as the upload page: xlsx in a memory-limited child process,
            # a refusal audited as "import_file_refused".
            parsed = import_file_read(
                content=path.read_bytes(),
                filename=path.name,
                items=item_specs(),
                user=actor,
                source="command",
            )
            outcome = statistics_import(
                parsed=parsed, user=actor, filename=path.name, approve=approve, dry_run=dry_run
            )
        except ApplicationError as error:
            self.stderr.write(f"{error.message_zh}\n{error.message_en}")
            for row in (error.details or [])[:200] if isinstance(error.details, list) else []:
                self.stderr.write(
                    f"  第{row['line']}行 line {row['line']} [{row['column']}] "
                    f"{row['message_zh']} / {row['message_en']}"
                )
            raise CommandError(error.code) from error
        verb = "将写入 / would write" if dry_run else "已写入 / wrote"
        self.stdout.write(
            f"{verb} {outcome.to_create} 个新版本 new versions; {outcome.unchanged} 行未变化 "
            f"unchanged; {outcome.revised_approved} 个已审核数据被修订 approved figures revised"
        )
        if dry_run:
            for change in outcome.changes[:200]:
                self.stdout.write(
                    f"  line {change['line']}: {change['item']} {change['period']} "
                    f"{change['scope'] or '园区'}: {change['old']} → {change['new']}"
                )
