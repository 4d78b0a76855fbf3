"""Loading the shipped plan from fixtures/ without ever overwriting an administrator's edit.

Each seeded row keeps `seed_checksum`, the hash of the seeded field values it was last
given. On a rerun a row is updated only when its current values still hash to that
checksum (nobody edited it since); an edited row is kept as the administrator left it
and reported. Rows are never deleted by seeding.
"""

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models

from indicators.numbers import decimal_text


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept_edits: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed_anything(self) -> bool:
        return bool(self.created or self.updated)


def _normal(value):
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, (list, tuple, set)):
        return sorted(_normal(v) for v in value)
    return value


def checksum(values: dict) -> str:
    canonical = json.dumps({k: _normal(v) for k, v in sorted(values.items())}, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _current_values(instance: models.Model, fields: list[str], m2m: dict) -> dict:
    values = {}
    for name in fields:
        model_field = instance._meta.get_field(name)
        if model_field.is_relation:
            values[name] = getattr(instance, model_field.attname)
        else:
            value = getattr(instance, name)
            if isinstance(model_field, models.DecimalField) and value is not None:
                value = Decimal(value)
            values[name] = value
    for name in m2m:
        values[name] = list(getattr(instance, name).values_list("pk", flat=True))
    return values


def seed_row(
    model: type[models.Model],
    *,
    key: dict,
    values: dict,
    report: SeedReport,
    label: str,
    m2m: dict | None = None,
) -> models.Model:
    """Create the row identified by `key`, or refresh it from `values` if nobody edited it.

    `m2m` maps a many-to-many field name to the list of related instances to set."""
    m2m = m2m or {}
    normalised = {
        name: (value.pk if isinstance(value, models.Model) else value)
        for name, value in values.items()
    }
    for name, value in values.items():
        model_field = model._meta.get_field(name)
        if isinstance(model_field, models.DecimalField) and value is not None:
            normalised[name] = Decimal(str(value))
    seeded = checksum({**normalised, **{k: [o.pk for o in v] for k, v in m2m.items()}})
    instance = model.objects.filter(**key).first()
    if instance is None:
        create_values = {}
        for name in values:
            model_field = model._meta.get_field(name)
            target = model_field.attname if model_field.is_relation else name
            create_values[target] = normalised[name]
        instance = model.objects.create(**key, **create_values, seed_checksum=seeded)
        for name, related in m2m.items():
            getattr(instance, name).set(related)
        report.created.append(label)
        return instance
    current = checksum(_current_values(instance, list(values), m2m))
    if current != instance.seed_checksum:
        report.kept_edits.append(label)
        return instance
    if seeded == instance.seed_checksum:
        report.unchanged += 1
        return instance
    for name in values:
        model_field = model._meta.get_field(name)
        setattr(
            instance, model_field.attname if model_field.is_relation else name, normalised[name]
        )
    instance.seed_checksum = seeded
    instance.save()
    for name, related in m2m.items():
        getattr(instance, name).set(related)
    report.updated.append(label)
    return instance


def reference_data_seed() -> int:
    """Reference data the apps' data migrations store (the AR6 GWP100 values of the footprint
    library, the project review and budget thresholds, the default assessment scheme, the official
    holiday calendar), stored again where missing: a
    database flushed after migrating (tests) or restored without them gets them back.
    Idempotent; returns how many rows were stored."""
    from assessment.services import default_scheme_seed
    from footprints.models import EmissionFactor
    from footprints.seed import seed_gwp
    from projects.rules import project_rules_seed
    from reporting.services import work_calendar_seed

    return (
        seed_gwp(EmissionFactor)
        + project_rules_seed()
        + default_scheme_seed()
        + work_calendar_seed()
    )
