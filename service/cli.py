"""The `retex` command."""

from __future__ import annotations

import sys
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select

from service.settings import Settings

app = typer.Typer(help="Retex : partage d'expériences numériques entre territoires.", no_args_is_help=True)
console = Console(stderr=True, width=110)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


@app.command()
def migrate() -> None:
    """Apply database migrations (Alembic) up to the latest."""
    from service.db.migrate import upgrade

    settings = Settings()
    settings.ensure_data_dir()
    upgrade(settings.resolved_database_url)
    console.print("Migrations appliquées.")


def run_seed(settings: Settings) -> None:
    from seeds.run import seed_all
    from service.db.engine import make_engine, make_session_factory

    engine = make_engine(settings.resolved_database_url)
    started = time.perf_counter()
    with make_session_factory(engine)() as session, _progress() as progress:
        reports = seed_all(session, progress)
        session.commit()
    elapsed = time.perf_counter() - started
    for report in reports:
        console.print(report.line())
    inserted = sum(r.inserted for r in reports)
    updated = sum(r.updated for r in reports)
    if inserted == updated == 0:
        console.print(f"Rien à faire : la base est déjà à jour (0 inserted, {elapsed:.1f} s).")
    else:
        console.print(f"Terminé : {inserted} inserted, {updated} updated en {elapsed:.1f} s.")
    engine.dispose()


@app.command()
def seed() -> None:
    """Load the shipped open data (territories, SILL, beta.gouv.fr, demo cases). Idempotent."""
    from service.db.migrate import upgrade

    settings = Settings()
    settings.ensure_data_dir()
    upgrade(settings.resolved_database_url)
    run_seed(settings)


def _database_is_empty(settings: Settings) -> bool:
    from service.db.engine import make_engine
    from service.territories.models import Territory

    engine = make_engine(settings.resolved_database_url)
    try:
        with engine.connect() as conn:
            return not conn.scalar(select(func.count()).select_from(Territory))
    finally:
        engine.dispose()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface (default from RETEX_HOST).")] = None,
    port: Annotated[int | None, typer.Option(envvar="PORT", help="Port (default 8000).")] = None,
    seed_if_empty: Annotated[
        bool, typer.Option(help="Load the demo data when the database is empty.")
    ] = False,
) -> None:
    """Migrate, then serve the web app and API."""
    import uvicorn

    from service.app import create_app
    from service.db.migrate import upgrade

    settings = Settings()
    settings.ensure_data_dir()
    upgrade(settings.resolved_database_url)
    if seed_if_empty and _database_is_empty(settings):
        console.print("Base vide : chargement des données de démonstration…")
        run_seed(settings)
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port)


@app.command("create-user")
def create_user(
    email: Annotated[str, typer.Option(help="Adresse e-mail (identifiant).")],
    name: Annotated[str, typer.Option(help="Nom affiché.")],
    role: Annotated[str, typer.Option(help="member, moderator ou admin.")] = "member",
    password_stdin: Annotated[bool, typer.Option(help="Lire le mot de passe sur l'entrée standard.")] = False,
) -> None:
    """Create a user account (password asked interactively, or read from stdin)."""
    from service.accounts.service import AccountError
    from service.accounts.service import create_user as do_create
    from service.db.engine import make_engine, make_session_factory
    from service.db.migrate import upgrade

    settings = Settings()
    settings.ensure_data_dir()
    upgrade(settings.resolved_database_url)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    engine = make_engine(settings.resolved_database_url)
    try:
        with make_session_factory(engine)() as session:
            user = do_create(session, email=email, display_name=name, password=password, role=role)
            session.commit()
            console.print(f"Utilisateur n° {user.id} créé : {user.email} ({user.role.value}).")
    except AccountError as exc:
        console.print(f"[red]Erreur : {exc}[/red]")
        raise typer.Exit(code=2) from exc
    finally:
        engine.dispose()


if __name__ == "__main__":
    app()
