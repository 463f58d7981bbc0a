"""Plain-text summaries of runs, for the CLI and e-mails."""

from __future__ import annotations

from collections import Counter

from ledgerbridge.domain.runs import Outcome
from ledgerbridge.engine.model import RunReport

_ORDER = (
    Outcome.CREATED,
    Outcome.UPDATED,
    Outcome.LINKED,
    Outcome.UNCHANGED,
    Outcome.SKIPPED,
    Outcome.CONFLICT,
    Outcome.FAILED,
)


def summary_lines(report: RunReport, *, title: str, top: int = 5) -> list[str]:
    """A summary: counts per flow, then the most frequent failure reasons."""
    lines = [
        f"{title}: {report.status.value}" + (f" (run {report.run_id})" if report.run_id else "")
    ]
    for flow, sides in report.counts.as_dict().items():
        parts = []
        for side, outcomes in sides.items():
            shown = ", ".join(
                f"{o.value} {outcomes[o.value]}" for o in _ORDER if outcomes.get(o.value)
            )
            if shown:
                parts.append(f"from {'CRM' if side == 'crm' else 'accounting'}: {shown}")
        lines.append(f"  {flow}: " + ("; ".join(parts) if parts else "nothing to do"))
    totals = ", ".join(
        f"{o.value} {report.total(o)}"
        for o in _ORDER
        if o is not Outcome.UNCHANGED and report.total(o)
    )
    lines.append(f"  total: {totals or 'no changes'}")
    failures = [i for i in report.items if i.outcome is Outcome.FAILED]
    if failures:
        reasons = Counter((i.flow, i.reason) for i in failures)
        lines.append("  top failure reasons:")
        for (flow, reason), n in reasons.most_common(top):
            example = next(i for i in failures if i.flow == flow and i.reason == reason)
            lines.append(f"    {n} x {flow}: {reason} (e.g. {example.label or example.record_id})")
    if report.error:
        lines.append(f"  stopped: {report.error}")
    return lines
