"""Every change the care desk makes. One module per concern; callers use this package's
names (`services.reply(...)`): `conversation` (replies by e-mail or chat, internal
notes), `fields` (macros, custom field values, resolving), `linking` (link, merge,
split), `tiers` (support tier escalation and hand-back, checklists), `viewers` (collision
warning), `handler` (the customer's name for the agent holding the ticket) and
`knowledge` (the knowledge base's articles)."""

from tercero.services.care.services.conversation import add_note, reply
from tercero.services.care.services.fields import (
    apply_macro,
    clean_custom_value,
    missing_required,
    resolve,
    set_custom_values,
)
from tercero.services.care.services.handler import customer_name_for
from tercero.services.care.services.knowledge import (
    ARTICLE_FIELDS,
    KNOWLEDGE_EDITOR,
    create_article,
    delete_article,
    publish_article,
    update_article,
)
from tercero.services.care.services.linking import CARE_TYPES, link, merge, split
from tercero.services.care.services.tiers import (
    MIN_ESCALATION_NOTE,
    TIERS,
    checklist_summary,
    checklists_for,
    escalate_tier,
    hand_back,
    tick,
)
from tercero.services.care.services.viewers import VIEWER_TTL, left, seen

__all__ = [
    "ARTICLE_FIELDS",
    "CARE_TYPES",
    "KNOWLEDGE_EDITOR",
    "MIN_ESCALATION_NOTE",
    "TIERS",
    "VIEWER_TTL",
    "add_note",
    "apply_macro",
    "checklist_summary",
    "checklists_for",
    "clean_custom_value",
    "create_article",
    "customer_name_for",
    "delete_article",
    "escalate_tier",
    "hand_back",
    "left",
    "link",
    "merge",
    "missing_required",
    "publish_article",
    "reply",
    "resolve",
    "seen",
    "set_custom_values",
    "split",
    "tick",
    "update_article",
]
