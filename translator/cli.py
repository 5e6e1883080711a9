"""``chargekeeper translate``: what an OCPP or manufacturer code means.

``translate VENDOR CODE`` is the everyday form; ``translate unknown`` and ``translate import``
are subcommands. Click cannot mix a group's positional arguments with subcommand names, so the
group routes any first word that is not a subcommand to the ``code`` command
(``translate code VENDOR CODE`` also works, e.g. for a vendor named "unknown").
Exit status: 0 whenever a code was explained (known or not), 2 for bad input.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from chargekeeper.untrusted import MAX_CODE, MAX_INFO, MAX_VENDOR
from translator.errors import CatalogError, TableImportError, TranslatorError
from translator.lookup import Translator
from translator.render import render_text
from translator.table_import import import_table
from translator.unknown import SqliteUnknownCodeStore, find_store_path, store_candidates

BAD_INPUT = 2
NO_VENDOR = "-"

STATE_DIR_OPTION = typer.Option(
    Path(".state"),
    "--state-dir",
    envvar="CHARGEKEEPER_STATE_DIR",
    metavar="DIR",
    help="State directory (unknown-code records, operator overlay).",
)
UNKNOWN_STATE_DIR_OPTION = typer.Option(
    Path(".state"),
    "--state-dir",
    envvar="CHARGEKEEPER_STATE_DIR",
    metavar="DIR",
    help="State directory of `chargekeeper up` or of `chargekeeper receiver`: the "
    "unknown-code records are looked for in DIR/translator, then DIR/receiver/translator.",
)
TABLE_ARGUMENT = typer.Argument(
    ...,
    metavar="FILE",
    help="CSV or YAML table with columns code, severity, category, title, explanation, cause, "
    "action and optionally responsible, source, lang.",
)
OVERLAY_OPTION = typer.Option(
    None,
    "--overlay-dir",
    metavar="DIR",
    help="Operator catalog overlay; default STATE_DIR/translator/overlay.",
)


class _CodeByDefault(TyperGroup):
    """Sends ``translate ABB 0x0002`` to the ``code`` subcommand."""

    # ``ctx`` is Any on purpose: newer Typer vendors Click, older uses the real one, and the
    # Context class differs between them; only the args list matters here.
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["code", *args]
        return super().parse_args(ctx, args)


def _fail(problems: list[str] | str) -> typer.Exit:
    for problem in [problems] if isinstance(problems, str) else problems:
        typer.echo(f"error: {problem}", err=True)
    return typer.Exit(BAD_INPUT)


def _overlay(state_dir: Path, overlay_dir: Path | None) -> Path:
    return overlay_dir if overlay_dir is not None else state_dir / "translator" / "overlay"


def _load(state_dir: Path, overlay_dir: Path | None) -> Translator:
    overlay = _overlay(state_dir, overlay_dir)
    try:
        return Translator.load([overlay] if overlay.is_dir() else [])
    except CatalogError as exc:
        raise _fail(exc.problems) from None


def _check_argument(name: str, value: str | None, limit: int) -> None:
    """Typed input must be what a charger could send: printable and within OCPP lengths."""
    if value is None:
        return
    if not value.strip():
        raise _fail(f"{name} is empty")
    if any(not char.isprintable() for char in value):
        raise _fail(f"{name} contains control characters")
    if len(value) > limit:
        raise _fail(f"{name} is {len(value)} characters long; at most {limit} are accepted")


def register(app: typer.Typer) -> None:
    translate = typer.Typer(
        cls=_CodeByDefault,
        name="translate",
        help=(
            "Explain an OCPP or manufacturer code: chargekeeper translate VENDOR CODE "
            "[--error-code C] [--info TEXT] [--lang LANG] [--json]. "
            "Also: 'translate unknown' lists codes not in the catalog yet; "
            "'translate import FILE --vendor NAME' adds an operator's own table."
        ),
        no_args_is_help=True,
    )
    app.add_typer(translate, name="translate")

    @translate.command("code")
    def code(
        vendor: str = typer.Argument(
            ...,
            metavar="VENDOR",
            help="Vendor as the charger names itself (chargePointVendor, vendorName or the "
            "StatusNotification vendorId), a code set (OCPP, ChargeX...) or '-' for none.",
        ),
        code: str = typer.Argument(
            ..., metavar="CODE", help="vendorErrorCode, techCode or OCPP value."
        ),
        error_code: str | None = typer.Option(
            None, "--error-code", metavar="CODE", help="OCPP 1.6 errorCode sent with the code."
        ),
        info: str | None = typer.Option(
            None, "--info", metavar="TEXT", help="The info text sent with it."
        ),
        status: str | None = typer.Option(
            None, "--status", metavar="STATUS", help="Connector status sent."
        ),
        vendor_id: str | None = typer.Option(
            None,
            "--vendor-id",
            metavar="VENDOR",
            help="StatusNotification vendorId, when VENDOR is the maker.",
        ),
        lang: str = typer.Option(
            "en", "--lang", metavar="LANG", help="Language of the explanation (en, fr)."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print every field as JSON."),
        state_dir: Path = STATE_DIR_OPTION,
        overlay_dir: Path | None = OVERLAY_OPTION,
    ) -> None:
        """Explain one code (the default: 'translate VENDOR CODE')."""
        _check_argument("VENDOR", vendor, MAX_VENDOR)
        _check_argument("CODE", code, MAX_CODE)
        _check_argument("--error-code", error_code, MAX_CODE)
        _check_argument("--info", info, MAX_INFO)
        _check_argument("--status", status, MAX_CODE)
        _check_argument("--vendor-id", vendor_id, MAX_VENDOR)
        translator = _load(state_dir, overlay_dir)
        try:
            result = translator.translate(
                vendor=None if vendor == NO_VENDOR else vendor,
                vendor_id=vendor_id,
                vendor_error_code=code,
                error_code=error_code,
                info=info,
                status=status,
                language=lang,
            )
        except TranslatorError as exc:
            raise _fail(str(exc)) from None
        if as_json:
            typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        else:
            typer.echo(render_text(result, translator.catalog))

    @translate.command("unknown")
    def unknown(
        state_dir: Path = UNKNOWN_STATE_DIR_OPTION,
        as_json: bool = typer.Option(False, "--json", help="Print the list as JSON."),
    ) -> None:
        """List codes seen on chargers that the catalog does not know yet."""
        path = find_store_path(state_dir)
        if path is None:
            looked = " and ".join(str(candidate) for candidate in store_candidates(state_dir))
            raise _fail(
                f"no unknown-code store in {state_dir}: looked for {looked}. Give --state-dir "
                "the state directory of `chargekeeper up` or of `chargekeeper receiver` (the "
                "receiver creates the store when it starts)."
            )
        store = SqliteUnknownCodeStore(path)
        try:
            codes = store.list()
        finally:
            store.close()
        if as_json:
            rows: list[dict[str, Any]] = [
                {
                    "vendor": c.vendor,
                    "code": c.code,
                    "error_code": c.error_code,
                    "count": c.count,
                    "first_seen": c.first_seen.isoformat(),
                    "last_seen": c.last_seen.isoformat(),
                    "chargers": list(c.chargers),
                    "charger_count": c.charger_count,
                }
                for c in codes
            ]
            typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        if not codes:
            typer.echo(f"No unknown codes recorded in {path}.")
            return
        typer.echo(f"{'seen':>6}  {'vendor':<24} {'code':<20} {'first seen':<20} last seen")
        for c in codes:
            more = (
                f" (+{c.charger_count - len(c.chargers)} more)"
                if c.charger_count > len(c.chargers)
                else ""
            )
            typer.echo(
                f"{c.count:>6}  {c.vendor[:24]:<24} {c.code[:20]:<20} "
                f"{c.first_seen:%Y-%m-%d %H:%M:%S}  {c.last_seen:%Y-%m-%d %H:%M:%S}"
            )
            typer.echo(f"{'':>8}chargers: {', '.join(c.chargers)}{more}")

    @translate.command("import")
    def import_(
        file: Path = TABLE_ARGUMENT,
        vendor: str = typer.Option(
            ..., "--vendor", metavar="NAME", help="Manufacturer the codes belong to."
        ),
        lang: str = typer.Option(
            "en", "--lang", metavar="LANG", help="Language of rows without a lang column."
        ),
        state_dir: Path = STATE_DIR_OPTION,
        overlay_dir: Path | None = OVERLAY_OPTION,
    ) -> None:
        """Merge an operator's code table into the overlay (shipped files stay untouched)."""
        _check_argument("--vendor", vendor, MAX_VENDOR)
        translator = _load(state_dir, overlay_dir)
        overlay = _overlay(state_dir, overlay_dir)
        try:
            result = import_table(file, vendor, overlay, translator.catalog, language=lang)
        except TableImportError as exc:
            raise _fail(exc.problems) from None
        what = "new vendor" if result.new_set else "vendor"
        typer.echo(
            f"Imported into {what} '{result.vendor_name}' ({result.set_id}): "
            f"{result.added} added, {result.replaced} replaced. Overlay: {overlay}"
        )
