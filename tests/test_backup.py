"""scripts/backup and scripts/restore, run for real against PostgreSQL: a restored copy has
every row of every table, byte for byte, the uploads, and the triggers that keep audit
events and figures unchangeable; a damaged backup or a non-empty target is refused."""

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from psycopg2 import sql

from accounts.demo import demo_setup
from audit.models import AuditEvent
from dashboards.services import progress_report_submit
from indicators.models import Figure
from tasks.models import Task
from tests.services import _database_url

BACKUP = Path(settings.BASE_DIR) / "scripts" / "backup"
RESTORE = Path(settings.BASE_DIR) / "scripts" / "restore"
ATTACHMENT = "一季度进展：光伏新增 12 MW".encode()


def _run(script: Path, *args: str, database_url: str, var_dir: Path) -> subprocess.CompletedProcess:
    """The script as an operator runs it: its own process, configured by the environment."""
    env = {**os.environ, "DATABASE_URL": database_url, "DEZHOU_VAR_DIR": str(var_dir)}
    env.pop("BACKUP_DIR", None)
    return subprocess.run(
        [sys.executable, str(script), *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _connect(name: str):
    options = connection.settings_dict
    return psycopg2.connect(
        dbname=name,
        user=options.get("USER") or None,
        password=options.get("PASSWORD") or None,
        host=options.get("HOST") or None,
        port=options.get("PORT") or None,
    )


def _fingerprint(name: str) -> dict:
    """Per table: row count and an MD5 over every row's text in primary-key order; and
    every sequence's position (so new rows after a restore get fresh ids)."""
    result = {}
    with _connect(name) as db, db.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
        for (table,) in cursor.fetchall():
            cursor.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
                "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                "WHERE i.indrelid = %s::regclass AND i.indisprimary ORDER BY a.attnum",
                [f"public.{table}"],
            )
            key = [sql.Identifier(column) for (column,) in cursor.fetchall()]
            order = sql.SQL(", ").join(key) if key else sql.SQL("t::text")
            cursor.execute(
                sql.SQL(
                    "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY {}), '')) "
                    "FROM public.{} AS t"
                ).format(order, sql.Identifier(table))
            )
            result[table] = cursor.fetchone()
        cursor.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
        )
        result["<sequences>"] = sorted(cursor.fetchall())
    db.close()
    return result


@pytest.fixture
def restore_target():
    """The name of a database that does not exist yet; dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restored_{uuid.uuid4().hex[:8]}"
    yield name
    admin = _connect("postgres")
    admin.autocommit = True  # DROP DATABASE cannot run in a transaction
    try:
        with admin.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    finally:
        admin.close()


def _database_exists(name: str) -> bool:
    with _connect("postgres") as admin, admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        found = cursor.fetchone() is not None
    admin.close()
    return found


@pytest.fixture
def seeded(require_postgres, transactional_db, park, clerk, settings, tmp_path):
    """Demo data committed to the test database, and one uploaded attachment on disk."""
    var_dir = tmp_path / "var"
    settings.MEDIA_ROOT = var_dir / "media"
    demo_setup()
    report = progress_report_submit(
        task=Task.objects.get(code="1"),
        period="2024Q1",
        text="进展",
        user=clerk,
        attachment=SimpleUploadedFile("进展.txt", ATTACHMENT),
    )
    assert Figure.objects.count() > 600
    assert AuditEvent.objects.exists()
    return {
        "url": _database_url(connection.settings_dict),
        "name": connection.settings_dict["NAME"],
        "var_dir": var_dir,
        "attachment": report.attachment.name,
    }


def _backup(seeded, tmp_path) -> Path:
    done = _run(
        BACKUP, str(tmp_path / "backups"), database_url=seeded["url"], var_dir=seeded["var_dir"]
    )
    assert done.returncode == 0, done.stderr
    (backup,) = (tmp_path / "backups").iterdir()
    return backup


def test_a_restored_copy_is_identical_and_still_refuses_rewrites(seeded, tmp_path, restore_target):
    backup = _backup(seeded, tmp_path)

    manifest = json.loads((backup / "manifest.json").read_text())
    assert sorted(p.name for p in backup.iterdir()) == [
        "SHA256SUMS",
        "database.dump",
        "manifest.json",
        "media.tar.gz",
    ]
    assert manifest["media_files"] == 1
    assert manifest["database"]["tables"]["indicators_figure"] == Figure.objects.count()
    checked = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=backup, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr

    restored_var = tmp_path / "restored-var"
    restore_url = seeded["url"].rsplit("/", 1)[0] + f"/{restore_target}"
    done = _run(RESTORE, "--create", str(backup), database_url=restore_url, var_dir=restored_var)
    assert done.returncode == 0, done.stdout + done.stderr

    source = _fingerprint(seeded["name"])
    copy = _fingerprint(restore_target)
    assert sorted(copy) == sorted(source)
    differences = {table: (source[table], copy[table]) for table in source if source[table] != copy[table]}  # fmt: skip
    assert differences == {}
    assert source["indicators_figure"][0] == Figure.objects.count()
    assert source["indicators_indicatorresult"][0] > 0
    assert (restored_var / "media" / seeded["attachment"]).read_bytes() == ATTACHMENT

    with _connect(restore_target) as db, db.cursor() as cursor:
        for statement, refusal in [
            ("UPDATE audit_auditevent SET action = 'x'", "append-only"),
            ("DELETE FROM audit_auditevent", "append-only"),
            ("UPDATE indicators_figure SET value = value + 1", "never overwritten"),
            ("DELETE FROM indicators_figure", "never deleted"),
        ]:
            with pytest.raises(psycopg2.errors.RaiseException, match=refusal):
                cursor.execute(statement)
            db.rollback()
    db.close()


def test_restore_refuses_a_non_empty_database_and_a_damaged_backup(
    seeded, tmp_path, restore_target
):
    backup = _backup(seeded, tmp_path)
    before = _fingerprint(seeded["name"])

    into_live = _run(RESTORE, str(backup), database_url=seeded["url"], var_dir=tmp_path / "e")

    assert into_live.returncode == 1
    assert "already has" in into_live.stderr
    assert _fingerprint(seeded["name"]) == before

    damaged = tmp_path / "damaged"
    shutil.copytree(backup, damaged)
    with (damaged / "database.dump").open("r+b") as dump:
        dump.seek(200)
        byte = dump.read(1)
        dump.seek(200)
        dump.write(bytes([byte[0] ^ 0xFF]))
    restore_url = seeded["url"].rsplit("/", 1)[0] + f"/{restore_target}"

    done = _run(RESTORE, "--create", str(damaged), database_url=restore_url, var_dir=tmp_path / "v")

    assert done.returncode == 1
    assert "checksum" in done.stderr
    assert not _database_exists(restore_target)


def test_backup_refuses_the_embedded_sqlite_default(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["DEZHOU_VAR_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, str(BACKUP), str(tmp_path / "backups")],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 1
    assert "PostgreSQL" in done.stderr
    assert list((tmp_path / "backups").iterdir()) == []  # no half-written backup
