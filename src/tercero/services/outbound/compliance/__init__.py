"""Calling compliance: rule packs as data, the called person's zones, and `why not now?`.

Pure code, no database: the dialler asks `why_not` at dial time, list loading at scrub
time, and `tercero outbound why-not` answers anyone from the command line.
"""

from tercero.services.outbound.compliance.packs import Pack, PackError, load
from tercero.services.outbound.compliance.rules import History, LeadFacts, why_not
from tercero.services.outbound.compliance.verdict import Reason, Verdict, as_json
from tercero.services.outbound.compliance.zones import zones_for

__all__ = [
    "History",
    "LeadFacts",
    "Pack",
    "PackError",
    "Reason",
    "Verdict",
    "as_json",
    "load",
    "why_not",
    "zones_for",
]
