"""The ``ecrf`` command: thin over the services; every command works against ECRF_DATABASE_URL."""
from __future__ import annotations

import getpass
import logging
import os
import secrets
import shutil
import sys
import time
from contextlib import contextmanager
from datetime import timezone
from pathlib import Path

import click
from gunicorn.app.base import BaseApplication
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ecrf.app import create_app
from ecrf.audit.chain import verify
from ecrf.audit.context import Actor, set_actor
from ecrf.auth.models import ROLES, User
from ecrf.auth.services import create_site as make_site
from ecrf.auth.services import create_user as make_user
from ecrf.auth.tokens import issue
from ecrf.demo import seed
from ecrf.errors import AccountError, ServiceError
from ecrf.infra import backup as backups
from ecrf.infra.app_role import configure as app_role_grants
from ecrf.infra.extensions import db
from ecrf.infra.migrate import upgrade
from ecrf.infra.work import unit_of_work
from ecrf.jobs import queue as jobs
from ecrf.mail.smtp import SmtpSettings
from ecrf.mail.worker import Policy, deliver
from ecrf.study.definition import load


@contextmanager
def _context(url: str | None = None):
    """An app context whose database connections are closed when the command ends."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url} if url else None)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def _cli_actor():
    set_actor(db.session, Actor(None, f"cli:{getpass.getuser()}", "system"))


def _work(action):
    """Run a service call as one unit of work; a refusal ends the command with its message (exit 2)."""
    try:
        return unit_of_work(db.session, action)
    except ServiceError as exc:
        _fail(str(exc))


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@click.group()
def main() -> None:
    """Electronic case report forms for the CART19-SLE trial."""


@main.command("init-db")
@click.option("--app-role", default=None, metavar="ROLE",
              help="PostgreSQL: also create (or update) the role the application connects as, with least "
                   "privilege (no UPDATE, DELETE or TRUNCATE of the audit trail); run as the tables' owner")
@click.option("--app-password-from-stdin", is_flag=True,
              help="set the application role's password from the first line of stdin")
def init_db(app_role: str | None, app_password_from_stdin: bool) -> None:
    """Create or upgrade the database schema (Alembic migrations to head), as the owner of the tables."""
    if app_password_from_stdin and not app_role:
        _fail("--app-password-from-stdin sets the password of --app-role; name the role.")
    with _context() as app:
        if app_role and db.engine.dialect.name != "postgresql":
            _fail("--app-role is for PostgreSQL; a SQLite database is protected by its file's permissions "
                  "and its append-only triggers.")
        password = sys.stdin.readline().rstrip("\n") if app_password_from_stdin else None
        upgrade(db.engine)
        click.echo(f"database at revision head: {db.engine.url.render_as_string(hide_password=True)}")
        _init_seal(app)
        if app_role:
            try:
                with db.engine.begin() as connection:
                    app_role_grants(connection, app_role, password)
            except AccountError as exc:
                _fail(str(exc))
            click.echo(f"application role {app_role}: SELECT and INSERT on the audit trail, no UPDATE, DELETE "
                       "or TRUNCATE of it; connect the app with it (ECRF_DATABASE_URL)")


def _seal_identity(app, create: bool = False):
    """The seal identity of the configuration (ECRF_SEAL_KEY, ECRF_SEAL_CERT) or of the instance folder; with
    ``create``, the instance's is made on first use. A configured file that cannot be used ends the command."""
    from ecrf.exports.seal import SealError, configured, ensure_identity

    try:
        if create and not app.config.get("SEAL_KEY_PATH"):
            return ensure_identity(Path(app.instance_path))
        return configured(app.instance_path, app.config)
    except SealError as exc:
        _fail(str(exc))


def _init_seal(app) -> None:
    """The system's seal: created once in the instance folder unless the site supplies its own."""
    from ecrf.exports.seal import CERT_FILE, SEAL_DIRECTORY

    identity = _seal_identity(app, create=True)
    source = app.config.get("SEAL_CERT_PATH") or Path(app.instance_path) / SEAL_DIRECTORY / CERT_FILE
    click.echo(f"seal certificate {source}: SHA-256 fingerprint {identity.fingerprint}")


@main.command("create-site")
@click.argument("code")
@click.argument("name")
@click.option("--timezone", default="UTC", show_default=True, help="IANA time zone of the site")
def create_site(code: str, name: str, timezone: str) -> None:
    """Create a site."""
    with _context():
        _cli_actor()
        site = _work(lambda: make_site(db.session, code, name, timezone))
        click.echo(f"site {site.code} created")


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\n")


@main.command("create-user")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(
    ["admin", "investigator", "coordinator", "monitor", "data_manager", "sponsor"]))
@click.option("--site", "sites", multiple=True, help="site code (repeat for several sites)")
@click.option("--full-name", default=None, help="printed with the user's signatures")
@click.option("--email", default=None, help="where the user's password reset mails go")
def create_user(username: str, role: str, sites: tuple[str, ...], full_name: str | None, email: str | None) -> None:
    """Create a user; the password is read from a prompt, or from stdin when it is not a terminal."""
    with _context():
        _cli_actor()
        password = _read_password()
        user = _work(lambda: make_user(db.session, username, full_name or username, role, list(sites), password,
                                       email=email))
        click.echo(f"user {user.username} ({user.role}) created")


@main.command("mail-worker")
@click.option("--once", is_flag=True, help="one pass over what is due, then exit")
@click.option("--interval", default=10.0, show_default=True, help="seconds between passes")
def mail_worker(once: bool, interval: float) -> None:
    """Deliver the mail outbox over SMTP (ECRF_SMTP_*), retrying with backoff while the server is down."""
    with _context() as app:
        settings, policy = SmtpSettings.from_config(app.config), Policy.from_config(app.config)
        while True:
            try:
                report = deliver(db.session, settings, policy)
            except SQLAlchemyError as exc:  # the database restarting must not end the worker; the queue waits
                db.session.rollback()
                click.echo(f"mail: database unavailable ({type(exc).__name__}); retrying", err=True)
                if once:
                    sys.exit(1)
                time.sleep(interval)
                continue
            if report.sent or report.retrying or report.failed or once:
                click.echo(f"mail: {len(report.sent)} sent, {len(report.retrying)} to retry, "
                           f"{len(report.failed)} failed for good")
            if once:
                return
            try:
                time.sleep(interval)
            except KeyboardInterrupt:
                return


@main.command("seed-demo")
def seed_demo() -> None:
    """Add a demo site, one user per role and synthetic subjects at different stages."""
    with _context():
        passwords = _demo_passwords()
        _print_logins(seed(passwords), passwords)


def _demo_passwords() -> dict[str, str]:
    """Each demo user's own password: ECRF_DEMO_PASSWORD for all of them when it is set, else one random each."""
    shared = os.environ.get("ECRF_DEMO_PASSWORD")
    return {role: shared or secrets.token_urlsafe(12) for role in ROLES}


def _print_logins(usernames: list[str], passwords: dict[str, str]) -> None:
    click.echo("Demo logins (username, role, password):")
    for name in usernames:
        click.echo(f"  {name:<14} {name:<14} {passwords[name]}")  # each demo user is named after its role


@main.command("demo")
@click.option("--port", default=5000, show_default=True)
def demo(port: int) -> None:
    """A fresh SQLite demo database (<instance>/demo.sqlite, replaced at every start: the demo's dates are relative
    to today), migrated and seeded, served on 127.0.0.1. For data that persists, use init-db and serve."""
    probe = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    path = Path(probe.instance_path) / "demo.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    passwords = _demo_passwords()
    with app.app_context():
        upgrade(db.engine)
        try:
            users = seed(passwords)
        except AccountError as exc:  # ECRF_DEMO_PASSWORD below the password policy
            raise click.ClickException(f"ECRF_DEMO_PASSWORD: {exc}") from None
    # the demo's exports run here too: a fresh queue and no files of an earlier demo's jobs
    jobs.current().huey.flush()
    shutil.rmtree(Path(app.instance_path) / "exports", ignore_errors=True)
    consumer = jobs.start_in_process(workers=1)
    click.echo(f"Demo database: {path} (new at every start of ecrf demo)")
    _init_seal(app)  # the demo's casebooks and CRFs are sealed as a real installation's are
    _print_logins(users, passwords)
    click.echo(f"Open http://127.0.0.1:{port}/ (Ctrl+C to stop)")
    try:
        app.run(host="127.0.0.1", port=port, debug=False, use_reloader=False, threaded=True)
    finally:
        consumer.stop()


@main.command("worker")
@click.option("-w", "--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="threads running export jobs at the same time")
def worker(workers: int) -> None:
    """Run the background exports (a huey consumer): the queue is <instance>/jobs.sqlite, or Redis when
    ECRF_REDIS_URL is set. Ctrl+C (SIGINT) lets running jobs finish; SIGTERM stops at once and puts them back on
    the queue for the next worker. A worker killed outright loses nothing: its jobs run again once their lease
    runs out."""
    app = create_app()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    queue = jobs.current()
    click.echo(f"export worker: queue on {queue.describe()}, {workers} thread(s)", err=True)
    try:
        queue.consumer(workers).run()
    finally:
        with app.app_context():
            db.engine.dispose()


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--workers", default=2, show_default=True)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the configured database (ECRF_DATABASE_URL) with gunicorn, production-style, several worker processes.
    The database is used as it is, never created or emptied here: create it once with init-db."""
    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", "-")

        def load(self):
            return create_app()

    Server().run()


@main.group("audit")
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
def audit_verify() -> None:
    """Walk the hash chain and reconcile every item value with it; exit 0 with the count and head hash if
    intact, 1 naming the first bad record or every item value that differs from its trail."""
    with _context():
        started = time.perf_counter()
        with db.engine.connect() as connection:
            result = verify(connection)
        elapsed = time.perf_counter() - started
    if result.ok:
        legacy = f", {result.legacy_count} of them unkeyed legacy records" if result.legacy_count else ""
        click.echo(f"audit trail intact: {result.count} records{legacy}, head hash {result.head_hash} "
                   f"({elapsed:.1f} s)")
        return
    if result.mismatches:
        click.echo(f"audit trail intact ({result.count} records, head hash {result.head_hash}) but "
                   f"{len(result.mismatches)} item value(s) differ from it:", err=True)
        for mismatch in result.mismatches:
            click.echo(f"  {mismatch}", err=True)
        sys.exit(1)
    click.echo(f"audit trail BROKEN at sequence number {result.first_bad_seq}: {result.problem} "
               f"({result.count} records verified before it)", err=True)
    sys.exit(1)


@main.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def backup(out: Path) -> None:
    """Write a consistent backup of the configured database to OUT (SQLite online backup; PostgreSQL pg_dump -Fc),
    and print the audit chain head it holds: keep that line apart from the backup."""
    with _context():
        try:
            seq, head = backups.backup(db.engine, out)
        except backups.BackupError as exc:
            _fail(str(exc))
    click.echo(f"backup written to {out}: audit chain head {seq} {head}")


@main.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="replace the contents of a database that is not empty")
def restore(source: Path, force: bool) -> None:
    """Restore the backup SOURCE into the configured, empty database, then verify its audit trail (with this
    installation's audit key) and print the chain head to compare with the one printed by the backup."""
    with _context():
        try:
            backups.restore(db.engine, source, force=force)
        except backups.BackupError as exc:
            _fail(str(exc))
        with db.engine.connect() as connection:
            result = verify(connection)
        db.engine.dispose()
    if not result.ok:
        click.echo(f"restored from {source}, but the audit trail does not verify: "
                   f"{result.problem} (sequence number {result.first_bad_seq}); is ECRF_AUDIT_KEY the key of the "
                   "installation that made the backup?", err=True)
        sys.exit(1)
    click.echo(f"restored from {source}: audit trail intact, {result.count} records, audit chain head "
               f"{result.count} {result.head_hash}")


@main.group("export")
def export() -> None:
    """Exports (each audited): casebooks, ODM, datasets, the blank CRF, the site archive.

    The operator of the command line holds the database itself, so exports made here carry full values (as data
    management sees them) and are recorded in the audit trail as the operating-system user's."""


def _cli_request(kind_name: str, site_code: str | None, subject_key: str | None = None):
    from ecrf.auth.models import Site
    from ecrf.exports.kinds import Request

    stmt = select(Site.id)
    if site_code:
        stmt = stmt.where(Site.code == site_code)
    site_ids = frozenset(db.session.scalars(stmt))
    if site_code and not site_ids:
        _fail(f"no site {site_code}")
    user = getpass.getuser()
    return Request(kind_name, f"cli:{user}", f"command line ({user})", "data_manager", site_ids,
                   subject_key=subject_key)


@contextmanager
def _exporting(kind_name: str, site_code: str | None, subject_key: str | None = None):
    """An export from the command line: audited as requested before any data is read, with a progress bar on
    stderr; the caller sets ``outcome["sha256"]`` and ``outcome["size"]`` and the written file is audited."""
    from ecrf.exports import audited, scope
    from ecrf.exports.kinds import Run, kind

    with _context() as app:
        _cli_actor()
        request = _cli_request(kind_name, site_code, subject_key)
        codes = [s.code for s in scope.sites(db.session, request)]
        audited.requested(db.session, request, codes)
        db.session.commit()
        identity = _seal_identity(app)
        outcome: dict = {}
        with click.progressbar(length=1, label=kind(kind_name).label, file=sys.stderr) as bar:
            def progress(done: int, total: int) -> None:
                if total and bar.length != total:
                    bar.length = total
                bar.update(done - bar.pos)

            try:
                yield request, Run(identity=identity, progress=progress), outcome
            except ServiceError as exc:
                db.session.rollback()
                _fail(str(exc))
        db.session.rollback()  # the writers only read
        _cli_actor()
        audited.written(db.session, request, codes, outcome["sha256"], outcome["size"])
        db.session.commit()


def _run_export(kind_name: str, out: Path | None, site_code: str | None = None,
                subject_key: str | None = None) -> None:
    """One export written to OUT atomically (or to stdout)."""
    from ecrf.exports.files import Hashing, write_atomically
    from ecrf.exports.kinds import kind

    writer = kind(kind_name).write
    with _exporting(kind_name, site_code, subject_key) as (request, run, outcome):
        if out is None:
            stream = Hashing(sys.stdout.buffer)
            writer(db.session, request, run, stream)
        else:
            stream = write_atomically(out, lambda s: writer(db.session, request, run, s))
        outcome.update(sha256=stream.sha256, size=stream.size)
    if out is not None:
        click.echo(f"{kind(kind_name).label}: {out} ({outcome['size']} bytes, SHA-256 {outcome['sha256']})")


_OUT_FILE = click.Path(dir_okay=False, path_type=Path)
_SITE = click.option("--site", "site_code", default=None, metavar="CODE", help="one site (default: every site)")


@export.command("casebook")
@click.argument("subject_key")
@click.option("--out", type=_OUT_FILE, required=True)
def export_casebook(subject_key: str, out: Path) -> None:
    """One subject's casebook as a sealed PDF."""
    _run_export("casebook", out, subject_key=subject_key)


@export.command("casebooks")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, metavar="DIR")
@_SITE
def export_casebooks(out: Path, site_code: str | None) -> None:
    """Every subject's sealed casebook PDF into DIR/<site>/<subject>.pdf, with MANIFEST.csv (SHA-256 of each)."""
    from ecrf.exports.casebook_pdf import write_directory

    with _exporting("casebooks", site_code) as (request, run, outcome):
        manifest = write_directory(db.session, request, run, out)
        outcome.update(sha256=manifest.sha256, size=manifest.size)
    click.echo(f"{manifest.count} casebooks in {out} (MANIFEST.csv SHA-256 {manifest.sha256})")


@export.command("odm")
@click.option("--transactional", is_flag=True, help="ODM Archival: every change with its audit record")
@click.option("--out", type=_OUT_FILE, default=None, help="file to write (default: standard output)")
@_SITE
def export_odm(transactional: bool, out: Path | None, site_code: str | None) -> None:
    """CDISC ODM 1.3.2: the current values (snapshot), or every change in time order (--transactional)."""
    _run_export("odm_transactional" if transactional else "odm", out, site_code)


@export.command("datasets")
@click.option("--out", type=_OUT_FILE, required=True)
@_SITE
def export_datasets(out: Path, site_code: str | None) -> None:
    """Analysis datasets: a CSV per form, the data dictionary and Dataset-JSON 1.1, in one zip."""
    _run_export("datasets", out, site_code)


@export.command("blank-crf")
@click.option("--annotated", is_flag=True, help="with OIDs, data types, edit checks and SDTM variables")
@click.option("--out", type=_OUT_FILE, required=True)
def export_blank_crf(annotated: bool, out: Path) -> None:
    """The blank CRF of the study definition as a sealed PDF (or the annotated CRF)."""
    _run_export("annotated_crf" if annotated else "blank_crf", out)


@export.command("site-archive")
@click.option("--site", "site_code", required=True, metavar="CODE")
@click.option("--out", type=_OUT_FILE, required=True)
def export_site_archive(site_code: str, out: Path) -> None:
    """The investigator's copy: every casebook of the site, ODM transactional and the audit trail, in one zip."""
    _run_export("site_archive", out, site_code)


@main.command("verify-casebook")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_casebook(file: Path) -> None:
    """The certified-copy check of a casebook PDF: is its seal this system's and intact, and does it still match
    the data today (what changed, if not)? Exit 0 when both, 1 when altered, unsealed or changed, 2 when the file
    cannot be read as a casebook. The check is audited."""
    import hashlib

    from ecrf.exports import certified
    from ecrf.exports.seal import Unreadable

    data = file.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    with _context() as app:
        identity = _seal_identity(app)
        try:
            report, problem = certified.check(db.session, data, identity), None
        except Unreadable as exc:
            report, problem = None, str(exc)
        db.session.rollback()  # the check only reads
        _cli_actor()
        certified.audited(db.session, sha256, report, problem)
        db.session.commit()
    if report is None:
        _fail(f"{file} cannot be checked: {problem}")
    click.echo(f"{file}: casebook of {report.subject} (site {report.site}, as {report.role} sees it), "
               f"file SHA-256 {sha256}")
    _echo_seal(report.seal)
    if report.matches:
        click.echo(f"it matches the data today (content SHA-256 {report.exported_hash})")
    else:
        click.echo(f"it no longer matches the data today; {len(report.differences)} change(s) since it was made "
                   f"(copy -> today):")
        for difference in report.differences:
            click.echo(f"  {difference}")
    sys.exit(0 if report.ok else 1)


def _echo_seal(status) -> None:
    if not status.signed:
        click.echo(f"not sealed: {status.problem}")
        return
    when = status.signed_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if status.signed_at else "?"
    click.echo(f"sealed by {status.signer} at {when} (certificate SHA-256 {status.fingerprint})")
    if not status.intact:
        click.echo(f"the file was altered after sealing: {status.problem}")
    elif status.problem:
        click.echo(f"the file is intact, but {status.problem}")
    else:
        click.echo("the file is intact")


@main.command("check-definition")
def check_definition() -> None:
    """Load and check the study definition; print what it declares."""
    study = load()
    click.echo(f"{len(study.events)} study events, {len(study.forms)} forms, {len(study.items)} items, "
               f"{len(study.codelists)} code lists: OK")


@main.command("create-token")
@click.option("--username", required=True)
@click.option("--expires-days", type=click.IntRange(1, 3650), default=None,
              help="days until it expires (default: never)")
@click.option("--label", default="", help="what the token is for")
def create_token(username: str, expires_days: int | None, label: str) -> None:
    """Create an API token for a user and print it once (only its SHA-256 is stored)."""
    with _context():
        _cli_actor()
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            _fail(f"no user {username}")
        row, raw = _work(lambda: issue(db.session, user, label=label, expires_days=expires_days))
        expiry = row.expires_at.strftime("%Y-%m-%d %H:%M UTC") if row.expires_at else "never"
        click.echo(f"API token for {user.username} ({user.role}), prefix {row.prefix}, expires {expiry}. "
                   "It is shown only now:", err=True)
        click.echo(raw)
