"""The `retex` command."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select

from indexing.index_types import IndexLockedError
from service.settings import Settings

if TYPE_CHECKING:
    from service.search_engine.host_process import IndexHostProcess

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


EMBEDDED_INDEX_BUSY = (
    "l'index embarqué est déjà ouvert par un autre processus (retex serve ?) : il ne s'ouvre que dans "
    "un processus à la fois ; pour plusieurs processus, utilisez un serveur Qdrant (RETEX_QDRANT_URL)"
)


def wait_for_database(settings: Settings, timeout: float) -> None:
    """Apply migrations, retrying while the database is unreachable (it may start after us)."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    from service.db.migrate import upgrade

    deadline = time.monotonic() + timeout
    while True:
        try:
            upgrade(settings.resolved_database_url)
            return
        except (OperationalError, InterfaceError) as exc:
            if time.monotonic() > deadline:
                console.print(f"[red]Base de données injoignable : {str(exc).splitlines()[0]}[/red]")
                raise typer.Exit(code=3) from exc
            console.print("Base de données injoignable : nouvel essai dans 2 s…")
            time.sleep(2)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface (default from RETEX_HOST).")] = None,
    port: Annotated[int | None, typer.Option(envvar="PORT", help="Port (default 8000).")] = None,
    workers: Annotated[
        int,
        typer.Option(
            envvar="RETEX_WEB_WORKERS",
            min=1,
            help="App processes (uvicorn workers). On the embedded index, one more process holds it.",
        ),
    ] = 1,
    seed_if_empty: Annotated[
        bool, typer.Option(help="Load the demo data when the database is empty.")
    ] = False,
    demo_accounts: Annotated[
        bool, typer.Option(help="Create the demo accounts (public password: for one's own machine only).")
    ] = False,
    wait_db: Annotated[float, typer.Option(help="Seconds to wait for the database at start-up.")] = 60,
) -> None:
    """Migrate, then serve the web app and API."""
    import uvicorn

    from service.api.request_id import configure_request_log
    from service.app import create_app

    settings = Settings()
    settings.ensure_data_dir()
    configure_request_log()
    wait_for_database(settings, wait_db)
    if seed_if_empty and _database_is_empty(settings):
        console.print("Base vide : chargement des données de démonstration…")
        run_seed(settings)
    if demo_accounts:
        _ensure_demo_accounts(settings)
    host, port = host or settings.host, port or settings.port
    if workers > 1:
        # Each worker process builds its own app from the same RETEX_ settings (environment).
        settings.resolved_secret_key  # noqa: B018 - generate it once, before the processes race for it
        index_host = _start_index_host() if not settings.qdrant_url else None
        try:
            uvicorn.run(
                "service.app:create_app",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                forwarded_allow_ips=settings.forwarded_allow_ips,
            )
        finally:
            if index_host is not None:
                index_host.stop()
        return
    uvicorn.run(create_app(settings), host=host, port=port, forwarded_allow_ips=settings.forwarded_allow_ips)


def _start_index_host() -> IndexHostProcess:
    """The process that holds the embedded index for every app process (they reach it by socket)."""
    import os

    from service.search_engine.host_process import IndexHostError, IndexHostProcess

    index_host = IndexHostProcess()
    try:
        index_host.start()
    except IndexHostError as exc:
        index_host.stop()
        console.print(f"[red]Erreur : {exc}[/red]")
        raise typer.Exit(code=3) from exc
    os.environ.update(index_host.environment())  # read by the app processes' Settings
    return index_host


@app.command("index-host", hidden=True)
def index_host(
    socket: Annotated[str, typer.Option(help="Unix socket to listen on.")],
) -> None:
    """Hold the embedded index for the app processes of `retex serve --workers N` (started by it;
    the handshake key comes in RETEX_INDEX_HOST_KEY). Stops when its standard input closes."""
    import os
    import signal

    from indexing.index_host import run_host

    settings = Settings()
    key = bytes.fromhex(os.environ.get("RETEX_INDEX_HOST_KEY", ""))
    if not key:
        console.print("[red]Erreur : RETEX_INDEX_HOST_KEY manque (processus lancé par retex serve).[/red]")
        raise typer.Exit(code=2)

    def until_parent_leaves() -> None:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
        while sys.stdin.buffer.read(4096):
            pass

    try:
        run_host(settings.resolved_index_path, socket, key, until_parent_leaves)
    except IndexLockedError as exc:
        console.print(f"[red]Erreur : {exc}[/red]")
        raise typer.Exit(code=2) from exc


def _ensure_demo_accounts(settings: Settings) -> None:
    from seeds.demo_accounts import DEMO_PASSWORD, ensure_demo_accounts
    from service.db.engine import make_engine, make_session_factory

    engine = make_engine(settings.resolved_database_url)
    with make_session_factory(engine)() as session:
        accounts = ensure_demo_accounts(session)
        session.commit()
    engine.dispose()
    console.print(
        f"Comptes de démonstration (mot de passe « {DEMO_PASSWORD} », à ne pas garder en production) :"
    )
    for email, role in accounts:
        console.print(f"  {email} ({role.value})")


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


@app.command()
def worker(
    until_idle: Annotated[bool, typer.Option(help="Stop once no job is left (batch mode).")] = False,
    batch_size: Annotated[int | None, typer.Option(min=1, help="Jobs claimed at once.")] = None,
    wait_db: Annotated[float, typer.Option(help="Seconds to wait for the database at start-up.")] = 60,
) -> None:
    """Apply the index jobs of every kind (cases, discussions) in a process of its own (needs
    RETEX_QDRANT_URL beside `serve`).

    Several workers may run at once on PostgreSQL; on SQLite only one process applies the queue."""
    from service.db.engine import make_engine, make_session_factory
    from service.indexjobs.claim_guard import OutboxBusyError, take_claim_guard
    from service.indexjobs.consistency import reconcile
    from service.indexjobs.worker import OutboxWorker
    from service.search_engine.engine import SearchEngine

    settings = Settings()
    settings.ensure_data_dir()
    wait_for_database(settings, wait_db)
    try:
        guard = take_claim_guard(settings.resolved_database_url)
        search = SearchEngine.open(settings)
    except OutboxBusyError as exc:
        console.print(f"[red]Erreur : {exc}[/red]")
        raise typer.Exit(code=2) from exc
    except IndexLockedError as exc:
        console.print(f"[red]Erreur : {EMBEDDED_INDEX_BUSY} ({exc})[/red]")
        raise typer.Exit(code=2) from exc
    engine = make_engine(settings.resolved_database_url)
    factory = make_session_factory(engine)
    outbox = OutboxWorker(
        factory,
        search,
        batch_size=batch_size or settings.worker_batch_size,
        max_attempts=settings.worker_max_attempts,
    )
    try:
        with factory() as session:
            queued = sum(reconcile(session, search).values())
        console.print(f"Worker prêt ({outbox.backlog()} tâches en attente, {queued} remises en file).")
        if until_idle:
            handled = outbox.run_until_idle()
            console.print(f"{handled} tâches traitées ; file vide.")
            return
        outbox.run_until_terminated()
    finally:
        outbox.stop()
        search.close()
        engine.dispose()
        guard.release()


webhooks_app = typer.Typer(help="Webhooks des partenaires.", no_args_is_help=True)
app.add_typer(webhooks_app, name="webhooks")


@webhooks_app.command("deliver")
def deliver_webhooks(
    once: Annotated[bool, typer.Option(help="Send what is due, then stop (batch mode).")] = False,
    poll: Annotated[float, typer.Option(min=0.01, help="Seconds between looks at an empty queue.")] = 1.0,
    wait_db: Annotated[float, typer.Option(help="Seconds to wait for the database at start-up.")] = 60,
) -> None:
    """Send the webhook deliveries in a process of its own (`serve` also does, RETEX_WEBHOOK_WORKER).

    Several processes may run at once on PostgreSQL; on SQLite only one sends."""
    from service.db.engine import make_engine, make_session_factory
    from service.indexjobs.claim_guard import OutboxBusyError, take_claim_guard
    from service.webhooks.worker import WebhookWorker

    settings = Settings()
    settings.ensure_data_dir()
    wait_for_database(settings, wait_db)
    try:
        guard = take_claim_guard(settings.resolved_database_url, "webhooks")
    except OutboxBusyError as exc:
        console.print(f"[red]Erreur : {exc}[/red]")
        raise typer.Exit(code=2) from exc
    engine = make_engine(settings.resolved_database_url)
    worker = WebhookWorker(make_session_factory(engine), settings, poll_seconds=poll)
    try:
        if once:
            console.print(f"{worker.run_until_idle()} envois tentés ; plus rien d'échu.")
            return
        console.print("Envoi des webhooks en cours (Ctrl-C pour arrêter).")
        worker.run_until_terminated()
    finally:
        worker.stop()
        engine.dispose()
        guard.release()


@app.command()
def reindex() -> None:
    """Rebuild the search index from the database (e.g. after changing the model)."""
    from indexing.case_index import PASSAGES_COLLECTION, SECOND_COLLECTION
    from indexing.document_index import DOCUMENT_KINDS
    from indexing.vector_index import drop_index
    from service.db.engine import make_engine, make_session_factory
    from service.db.migrate import upgrade
    from service.indexjobs.appliers import index_appliers
    from service.indexjobs.consistency import rebuild
    from service.indexjobs.models import IndexKind
    from service.search_engine.engine import SearchEngine

    settings = Settings()
    settings.ensure_data_dir()
    upgrade(settings.resolved_database_url)
    for collection in (PASSAGES_COLLECTION, SECOND_COLLECTION, *(k.collection for k in DOCUMENT_KINDS)):
        drop_index(collection, **settings.index_location())
    engine = make_engine(settings.resolved_database_url)
    search = SearchEngine.open(settings)
    started = time.perf_counter()
    try:
        done: dict[IndexKind, int] = {}
        with make_session_factory(engine)() as session, _progress() as progress:
            for kind, applier in index_appliers(search).items():
                task = progress.add_task(f"Indexation ({kind})", total=None)

                def advance(n: int, total: int, task: TaskID = task) -> None:
                    progress.update(task, completed=n, total=total)

                done[kind] = rebuild(session, applier, advance)
        console.print("Optimisation de l'index…")
        search.index.optimize()
        points = search.index.count()
    finally:
        search.close()
        engine.dispose()
    console.print(
        f"{done[IndexKind.case]} expériences, {points} passages et "
        f"{done.get(IndexKind.thread, 0)} discussions indexés "
        f"en {time.perf_counter() - started:.1f} s."
    )
    reindex_territories(settings)


def reindex_territories(settings: Settings) -> None:
    """Rebuild the territory collection (similar territories) from the database."""
    from service.db.engine import make_engine, make_session_factory
    from service.territories.index_runtime import open_territory_index, sync_territory_index

    started = time.perf_counter()
    engine = make_engine(settings.resolved_database_url)
    index = open_territory_index(settings, fresh=True)
    try:
        with make_session_factory(engine)() as session:
            report = sync_territory_index(session, index)
        index.index.optimize()
    finally:
        index.index.close()
        engine.dispose()
    console.print(f"{report.written} territoires indexés en {time.perf_counter() - started:.1f} s.")


@app.command("eval")
def evaluate(
    corpus: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, help="corpus.jsonl (_id, title, text)")
    ],
    queries: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, help="queries.jsonl (_id, text[, lang, no_answer])")
    ],
    qrels: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="qrels.tsv with a header")],
    mode: Annotated[
        list[str], typer.Option(help="hybrid (= calibrated), dense or lexical (repeatable).")
    ] = [],  # noqa: B006
    config: Annotated[
        list[str],
        typer.Option(help="Configuration (repeatable): calibrated, calibrated-unfloored, fused, …"),
    ] = [],  # noqa: B006
    compare: Annotated[
        tuple[str, str] | None, typer.Option(help="Two configurations side by side, e.g. fused calibrated.")
    ] = None,
    per_query: Annotated[bool, typer.Option("--per-query", help="One line per need.")] = False,
    cache: Annotated[
        Path | None, typer.Option(file_okay=False, help="Keep the embeddings here between runs.")
    ] = None,
    second: Annotated[str, typer.Option(help="Second encoder: auto (as the product), use or none.")] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per configuration.")] = False,
) -> None:
    """Score retrieval on a BEIR-layout set with the production indexing and search code."""
    import json

    from indexing.embedder import PACKAGED_E5, Embedder, load_embedder
    from indexing.embedding_cache import DiskCachedEmbedder
    from indexing.eval_runner import CONFIGS, MODE_CONFIGS, run_eval
    from indexing.evaluation import format_comparison, format_report
    from indexing.outside_corpus import load as load_outside

    names: list[tuple[str, str]] = []  # (label, configuration)
    for m in mode:
        if m not in MODE_CONFIGS:
            raise typer.BadParameter(f"unknown mode {m!r}", param_hint="--mode")
        names.append((m, MODE_CONFIGS[m]))
    names += [(c, c) for c in config]
    if compare is not None:
        names += [(c, c) for c in compare]
    if not names:
        names = [("hybrid", "calibrated")]
    for _, c in names:
        if c not in CONFIGS:
            raise typer.BadParameter(f"unknown configuration {c!r}; known: {', '.join(CONFIGS)}")
    settings = Settings()
    embedder: Embedder = load_embedder(
        settings.model,
        settings.data_dir,
        precision=settings.embedding_precision,
        backend=settings.embedding_backend,
    )
    if second not in ("auto", "use", "none"):
        raise typer.BadParameter(f"unknown second encoder {second!r}", param_hint="--second")
    second_embedder: Embedder | None = None
    if second == "use" or (second == "auto" and settings.model == PACKAGED_E5):
        from indexing.second_encoder import UseEmbedder

        second_embedder = UseEmbedder(threads=2)
    cached = DiskCachedEmbedder(embedder, cache) if cache is not None else None
    cached_second = (
        DiskCachedEmbedder(second_embedder, cache) if cache is not None and second_embedder else None
    )
    # The near-miss gate's outside titles, as built by `make install` for this data dir.
    outside = load_outside(settings.data_dir, [second_embedder.model_name]) if second_embedder else None
    with _progress() as progress:
        task = progress.add_task("Indexation du corpus", total=None)
        reports = run_eval(
            corpus=corpus,
            queries=queries,
            qrels=qrels,
            embedder=cached or embedder,
            configs=list(dict.fromkeys(c for _, c in names)),
            second=cached_second or second_embedder,
            on_progress=lambda n, total: progress.update(task, completed=n, total=total),
            outside=outside,
        )
    for disk in (cached, cached_second):
        if disk is not None:
            disk.save()
    shown = list(dict.fromkeys(names))
    for label, c in shown:
        report = reports[c]
        if as_json:
            print(json.dumps({"mode": label, "config": c, **report.to_dict()}, ensure_ascii=False))
            continue
        print(f"configuration: {c}")
        print(format_report(report))
        if per_query:
            for qid, row in report.per_query.items():
                print(f"  {qid:<8} " + " ".join(f"{k} {v:.3f}" for k, v in row.items()))
    if compare is not None and not as_json:
        print(format_comparison(reports[compare[0]], reports[compare[1]], compare))


if __name__ == "__main__":
    app()
