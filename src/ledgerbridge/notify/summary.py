"""The run summary e-mail: counts, then every failed record with its reason."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from ledgerbridge.domain.records import Side
from ledgerbridge.engine.model import RunReport
from ledgerbridge.engine.report import summary_lines
from ledgerbridge.notify.settings import SmtpSettings
from ledgerbridge.notify.smtp import SmtpMailer
from ledgerbridge.store import IntegrationRow

# A summary lists failures one by one up to this many; the rest are in the run history.
MAX_LISTED_FAILURES = 500


def summary_message(
    integration: IntegrationRow, report: RunReport, *, sender: str, to: str
) -> EmailMessage:
    status = report.status.value
    failed = report.failures
    subject = f"ledgerbridge: {integration.name} sync {status}"
    if failed:
        subject += f", {len(failed)} record{'s' if len(failed) != 1 else ''} failed"
    lines = summary_lines(report, title=f"Sync of {integration.name}")
    if report.started_at is not None:
        lines.append(f"  started: {report.started_at:%Y-%m-%d %H:%M:%S %Z}")
    if failed:
        lines += ["", "Records that failed:"]
        for item in failed[:MAX_LISTED_FAILURES]:
            where = "CRM" if item.side is Side.CRM else "accounting"
            name = f"{item.label} ({item.record_id})" if item.label else item.record_id
            lines.append(f"  - {item.flow}, {where} {name}: {item.reason}")
        if len(failed) > MAX_LISTED_FAILURES:
            lines.append(
                f"  ... and {len(failed) - MAX_LISTED_FAILURES} more: "
                f"`ledgerbridge history {integration.name} --run {report.run_id}`"
            )
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain="ledgerbridge")
    message.set_content("\n".join(lines) + "\n")
    return message


class SummaryMailer:
    """The engine's notifier: e-mails a run's summary to the integration's address."""

    def __init__(self, settings: SmtpSettings, mailer: SmtpMailer | None = None) -> None:
        self.settings = settings
        self.mailer = mailer if mailer is not None else SmtpMailer(settings)

    def run_finished(self, integration: IntegrationRow, report: RunReport) -> None:
        if not integration.notify_email:
            return
        message = summary_message(
            integration, report, sender=self.settings.sender, to=integration.notify_email
        )
        self.mailer.send(message)
