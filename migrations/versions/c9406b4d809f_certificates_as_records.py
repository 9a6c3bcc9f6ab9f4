"""certificates as records: issued with the completion, one per person and programme revision

Revision ID: c9406b4d809f
Revises: cd85b238cdf0
Create Date: 2026-12-07 11:05:23.650209

Certificates used to be issued on their first download. From here on a certificate
is issued in the same transaction as the completion it states, so this upgrade

* links every existing certificate to its completion and programme revision
  (``origin`` ``download``); one whose completion was withdrawn meanwhile (it
  already verified as invalid) is kept, revoked with ``attendance_withdrawn``;
* keeps the first certificate of a person's programme revision as *the* one
  (``holds_revision``); any later one of the same revision issued before the rule
  stays valid as issued but no longer holds the revision;
* issues a certificate (``origin`` ``backfill``) for the earliest completion of every
  person's programme revision that has none, codes from ``secrets`` as ``new_code()``.

Idempotent: run again, it finds every completion certified and issues nothing.

The downgrade removes only the certificates this upgrade issued (``backfill``) and
refuses, changing nothing, while any other certificate could not be held by the old
table (an e-learning completion's, with no registration, or a second one of one
registration). Revocation reasons and who revoked are dropped with their columns;
each revocation's audit entry keeps both.
"""
import base64
import secrets
import tomllib
from collections import defaultdict
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import tenants.base

# revision identifiers, used by Alembic.
revision = 'c9406b4d809f'
down_revision = 'cd85b238cdf0'
branch_labels = None
depends_on = None

certificates = sa.table(
    'certificates',
    sa.column('id', sa.Integer),
    sa.column('municipality_id', sa.Integer),
    sa.column('code', sa.String),
    sa.column('completion_id', sa.Integer),
    sa.column('registration_id', sa.Integer),
    sa.column('employee_id', sa.Integer),
    sa.column('program_id', sa.Integer),
    sa.column('program_revision', sa.Integer),
    sa.column('holds_revision', sa.Boolean),
    sa.column('name', sa.String),
    sa.column('program_code', sa.String),
    sa.column('program_title_ja', sa.String),
    sa.column('program_title_en', sa.String),
    sa.column('hours', sa.Numeric(5, 1)),
    sa.column('completed_on', sa.Date),
    sa.column('issuer_ja', sa.String),
    sa.column('issuer_en', sa.String),
    sa.column('issued_at', tenants.base.UTCDateTime(timezone=True)),
    sa.column('origin', sa.String),
    sa.column('revoked_at', tenants.base.UTCDateTime(timezone=True)),
    sa.column('revoke_cause', sa.String),
)
completions = sa.table(
    'completions',
    sa.column('id', sa.Integer),
    sa.column('municipality_id', sa.Integer),
    sa.column('employee_id', sa.Integer),
    sa.column('program_id', sa.Integer),
    sa.column('program_revision', sa.Integer),
    sa.column('program_code', sa.String),
    sa.column('title_ja', sa.String),
    sa.column('title_en', sa.String),
    sa.column('hours', sa.Numeric(5, 1)),
    sa.column('session_id', sa.Integer),
    sa.column('registration_id', sa.Integer),
    sa.column('completed_on', sa.Date),
)
registrations = sa.table(
    'registrations', sa.column('id', sa.Integer), sa.column('session_id', sa.Integer)
)
sessions = sa.table(
    'training_sessions',
    sa.column('id', sa.Integer),
    sa.column('program_id', sa.Integer),
    sa.column('host_municipality_id', sa.Integer),
)
programs = sa.table('programs', sa.column('id', sa.Integer), sa.column('revision', sa.Integer))
users = sa.table(
    'users',
    sa.column('id', sa.Integer),
    sa.column('municipality_id', sa.Integer),
    sa.column('name', sa.String),
)
municipalities = sa.table(
    'municipalities',
    sa.column('id', sa.Integer),
    sa.column('name_ja', sa.String),
    sa.column('name_en', sa.String),
)


def _new_code():
    # The same as regional.attendance.certification.new_code, frozen as of this migration.
    return base64.b32encode(secrets.token_bytes(10)).decode()[:16]


def _region_names():
    """The alliance's names (the issuer of shared sessions and e-learning), from REGION_FILE."""
    from flask import current_app

    with open(current_app.config["REGION_FILE"], "rb") as fh:
        region = tomllib.load(fh).get("region", {})
    return region.get("name_ja", ""), region.get("name_en", "")


def _lift_the_wall(conn):
    # Every member's rows, for this migration's transaction only (row-level security).
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT set_config('app.all_tenants', 'on', true)")


def upgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('completion_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('program_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('program_revision', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('holds_revision', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('origin', sa.Enum('completion', 'backfill', 'download', name='certificateorigin', native_enum=False, create_constraint=True, length=20), nullable=True))
        batch_op.add_column(sa.Column('revoked_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('revoke_cause', sa.Enum('revoked', 'attendance_withdrawn', name='revokecause', native_enum=False, create_constraint=True, length=30), nullable=True))
        batch_op.add_column(sa.Column('revoke_reason', sa.String(length=500), nullable=True))
        batch_op.alter_column('registration_id', existing_type=sa.INTEGER(), nullable=True)
        batch_op.drop_constraint(batch_op.f('uq_certificates_registration'), type_='unique')

    conn = op.get_bind()
    _lift_the_wall(conn)
    _link_existing(conn)
    _backfill(conn)

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.alter_column('program_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('program_revision', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('holds_revision', existing_type=sa.Boolean(), nullable=False)
        batch_op.alter_column('origin', existing_type=sa.String(20), nullable=False)
        batch_op.create_unique_constraint('uq_certificates_completion', ['completion_id'])
        batch_op.create_index('uq_certificates_person_revision', ['municipality_id', 'employee_id', 'program_id', 'program_revision'], unique=True, postgresql_where=sa.text('holds_revision'), sqlite_where=sa.text('holds_revision = 1'))
        batch_op.create_foreign_key(batch_op.f('fk_certificates_completion_id_completions'), 'completions', ['completion_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_certificates_program_id_programs'), 'programs', ['program_id'], ['id'])


def _link_existing(conn):
    """Certificates issued on download: their completion, programme revision and standing."""
    rows = conn.execute(
        sa.select(
            certificates.c.id,
            certificates.c.municipality_id,
            certificates.c.employee_id,
            certificates.c.issued_at,
            certificates.c.revoked_at,
            completions.c.id.label('completion_id'),
            completions.c.program_id,
            completions.c.program_revision,
            sessions.c.program_id.label('session_program_id'),
            programs.c.revision.label('current_revision'),
        )
        .select_from(certificates)
        .join(registrations, registrations.c.id == certificates.c.registration_id)
        .join(sessions, sessions.c.id == registrations.c.session_id)
        .join(programs, programs.c.id == sessions.c.program_id)
        .outerjoin(completions, completions.c.registration_id == certificates.c.registration_id)
        .where(certificates.c.program_id.is_(None))
        .order_by(certificates.c.issued_at, certificates.c.id)
    ).all()
    now = datetime.now(UTC)
    holders = set()
    for row in rows:
        if row.completion_id is None:
            # The completion was withdrawn (attendance corrected): it already verified as
            # invalid; now it says so, and frees the revision for a later completion.
            values = dict(
                program_id=row.session_program_id,
                program_revision=row.current_revision,
                holds_revision=False,
                revoked_at=row.revoked_at or now,
                revoke_cause='revoked' if row.revoked_at else 'attendance_withdrawn',
            )
        else:
            key = (row.municipality_id, row.employee_id, row.program_id, row.program_revision)
            values = dict(
                completion_id=row.completion_id,
                program_id=row.program_id,
                program_revision=row.program_revision,
                # The first of a revision holds it; later ones stay valid as issued.
                holds_revision=key not in holders,
                revoke_cause='revoked' if row.revoked_at else None,
            )
            holders.add(key)
        conn.execute(
            certificates.update()
            .where(certificates.c.id == row.id)
            .values(origin='download', **values)
        )


def _backfill(conn):
    """A certificate for the earliest completion of each person's revision that has none."""
    held = {
        tuple(r)
        for r in conn.execute(
            sa.select(
                certificates.c.municipality_id,
                certificates.c.employee_id,
                certificates.c.program_id,
                certificates.c.program_revision,
            ).where(certificates.c.holds_revision.is_(True))
        )
    }
    certified = sa.select(certificates.c.id).where(
        certificates.c.completion_id == completions.c.id
    )
    rows = conn.execute(
        sa.select(
            completions,
            users.c.name,
            sessions.c.host_municipality_id,
        )
        .join(
            users,
            (users.c.id == completions.c.employee_id)
            & (users.c.municipality_id == completions.c.municipality_id),
        )
        .outerjoin(sessions, sessions.c.id == completions.c.session_id)
        .where(~certified.exists())
        .order_by(completions.c.completed_on, completions.c.id)
    ).all()
    if not rows:
        return
    hosts = {
        r.id: (r.name_ja, r.name_en)
        for r in conn.execute(sa.select(municipalities.c.id, municipalities.c.name_ja, municipalities.c.name_en))
    }
    region = _region_names()
    codes = set(conn.execute(sa.select(certificates.c.code)).scalars())
    now = datetime.now(UTC)
    batch = []
    for row in rows:
        key = (row.municipality_id, row.employee_id, row.program_id, row.program_revision)
        if key in held:
            continue
        held.add(key)
        code = _new_code()
        while code in codes:
            code = _new_code()
        codes.add(code)
        issuer = hosts.get(row.host_municipality_id, region)
        batch.append(
            dict(
                municipality_id=row.municipality_id,
                code=code,
                completion_id=row.id,
                registration_id=row.registration_id,
                employee_id=row.employee_id,
                program_id=row.program_id,
                program_revision=row.program_revision,
                holds_revision=True,
                name=row.name,
                program_code=row.program_code,
                program_title_ja=row.title_ja,
                program_title_en=row.title_en,
                hours=row.hours,
                completed_on=row.completed_on,
                issuer_ja=issuer[0],
                issuer_en=issuer[1],
                issued_at=now,
                origin='backfill',
            )
        )
        if len(batch) >= 1000:
            conn.execute(certificates.insert(), batch)
            batch = []
    if batch:
        conn.execute(certificates.insert(), batch)


def downgrade():
    conn = op.get_bind()
    _lift_the_wall(conn)
    kept = certificates.c.origin != 'backfill'
    orphans = conn.execute(
        sa.select(sa.func.count()).where(kept, certificates.c.registration_id.is_(None))
    ).scalar_one()
    twice = conn.execute(
        sa.select(sa.func.count()).select_from(
            sa.select(certificates.c.registration_id)
            .where(kept, certificates.c.registration_id.is_not(None))
            .group_by(certificates.c.registration_id)
            .having(sa.func.count() > 1)
            .subquery()
        )
    ).scalar_one()
    if orphans or twice:
        raise RuntimeError(
            f"Refusing to downgrade: {orphans} certificate(s) of e-learning completions and "
            f"{twice} registration(s) with more than one certificate were issued since the "
            "upgrade; the old certificates table cannot hold them, and they are records "
            "people may have printed. Nothing was changed."
        )
    # Only what the upgrade issued; the old code issues them again on download.
    conn.execute(certificates.delete().where(certificates.c.origin == 'backfill'))
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_certificates_program_id_programs'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_certificates_completion_id_completions'), type_='foreignkey')
        batch_op.drop_index('uq_certificates_person_revision', postgresql_where=sa.text('holds_revision'), sqlite_where=sa.text('holds_revision = 1'))
        batch_op.drop_constraint('uq_certificates_completion', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_certificates_registration'), ['registration_id'])
        batch_op.alter_column('registration_id', existing_type=sa.INTEGER(), nullable=False)
        # The enums' CHECK constraints go first (SQLite's batch copy would keep them).
        batch_op.drop_constraint(batch_op.f('ck_certificates_revokecause'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_certificates_certificateorigin'), type_='check')
        batch_op.drop_column('revoke_reason')
        batch_op.drop_column('revoke_cause')
        batch_op.drop_column('revoked_by_id')
        batch_op.drop_column('origin')
        batch_op.drop_column('holds_revision')
        batch_op.drop_column('program_revision')
        batch_op.drop_column('program_id')
        batch_op.drop_column('completion_id')
