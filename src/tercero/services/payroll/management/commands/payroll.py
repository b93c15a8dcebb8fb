"""`tercero payroll ...`: pay runs from the command line.

tercero payroll status RUN             progress, status and totals of a run
tercero payroll calculate RUN          calculate here (continues a stopped run)
tercero payroll import-inputs RUN FILE inputs from CSV; prints every bad row
tercero payroll register RUN [-o F]    the payroll register as CSV
tercero payroll journal RUN [-o F]     the journal as CSV
tercero payroll bank-file RUN -o F     the bank payment file (SEPA or NACHA by currency)
"""

import sys
from contextlib import contextmanager
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tercero.platform.errors import DomainError
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.payroll import outputs, runs
from tercero.services.payroll.models import PayRun


class Command(BaseCommand):
    help = "Pay runs: status, calculate, import inputs, register, journal, bank file."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        for name in ("status", "calculate", "import-inputs", "register", "journal", "bank-file"):
            command = sub.add_parser(name)
            command.add_argument("run", type=int)
            if name == "import-inputs":
                command.add_argument("file", type=Path)
            if name in ("register", "journal", "bank-file"):
                command.add_argument("-o", "--output", type=Path)
            if name == "calculate":
                command.add_argument("--chunk", type=int, default=runs.CHUNK)

    def handle(self, *args, action, run, **options):
        with all_clients_scope():
            found = PayRun.objects.filter(pk=run).values_list("client_id", flat=True).first()
        if found is None:
            raise CommandError(f"No pay run {run}.")
        with client_scope(clients=[found]):
            pay_run = PayRun.objects.select_related("pay_group").get(pk=run)
            try:
                getattr(self, "_" + action.replace("-", "_"))(pay_run, **options)
            except DomainError as error:
                raise CommandError(error.message) from error

    def _status(self, run: PayRun, **options) -> None:
        self.stdout.write(
            f"run {run.pk} {run.pay_group.name} {run.tax_year} period {run.period}: "
            f"{run.status}, {run.employees_done}/{run.employees_total} employees, "
            f"gross {run.gross_minor} net {run.net_minor} (minor units), {run.flagged} flagged"
        )

    def _calculate(self, run: PayRun, *, chunk: int, **options) -> None:
        if run.status != PayRun.Status.CALCULATING:
            run = runs.start_calculation(actor=None, run=run)
        run = runs.calculate(run_id=run.pk, chunk=chunk)
        self._status(run)

    def _import_inputs(self, run: PayRun, *, file: Path, **options) -> None:
        report = runs.import_inputs(actor=None, run=run, data=file.read_bytes())
        for line, column, problem in report.errors:
            self.stderr.write(f"line {line}, {column}: {problem}")
        if report.errors:
            raise CommandError(f"{len(report.errors)} problems; nothing was imported.")
        self.stdout.write(f"{report.rows} rows, {report.stored} values stored")

    def _register(self, run: PayRun, *, output: Path | None, **options) -> None:
        with self._sink(output, "w") as sink:
            outputs.write_register(run, sink)

    def _journal(self, run: PayRun, *, output: Path | None, **options) -> None:
        with self._sink(output, "w") as sink:
            outputs.write_journal(run, sink)

    def _bank_file(self, run: PayRun, *, output: Path | None, **options) -> None:
        if output is None:
            raise CommandError("Give the file to write with -o.")
        name, content = outputs.bank_file(run=run, actor=None)
        output.write_bytes(content)
        self.stdout.write(f"{name}: {len(content)} bytes written to {output}")

    @contextmanager
    def _sink(self, output: Path | None, mode: str):
        if output is None:
            yield sys.stdout
            return
        with output.open(mode, newline="", encoding="utf-8") as handle:
            yield handle
