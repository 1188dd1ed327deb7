"""A readable, field-by-field comparison of two case-study revisions for the admin.

The lines are plain text; the template escapes them, so a revision's Markdown or HTML can never
run in the admin.
"""

import difflib
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from manufacturers.models import Organisation, Site, Technology
from workstreams.models import Workstream

from .models import RegulatoryTopic

FIELDS = [
    ("title", _("Title")),
    ("summary", _("Summary")),
    ("body", _("Body")),
    ("organisation", _("Organisation")),
    ("workstream", _("Workstream")),
    ("sites", _("Sites")),
    ("technologies", _("Technologies")),
    ("topics", _("Regulatory topics")),
    ("source_urls", _("Sources")),
]
RELATED = {
    "organisation": Organisation,
    "workstream": Workstream,
    "sites": Site,
    "technologies": Technology,
    "topics": RegulatoryTopic,
}
# Unchanged lines shown around each change; longer unchanged runs are folded.
CONTEXT_LINES = 2


@dataclass
class DiffLine:
    kind: str  # "equal", "delete", "insert" or "fold"
    text: str


@dataclass
class FieldDiff:
    name: str
    label: str
    changed: bool
    lines: list[DiffLine] = field(default_factory=list)


def _names(model, ids) -> dict:
    return dict(model.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}


def _as_lines(name: str, value, names: dict) -> list[str]:
    if name in RELATED:
        ids = value if isinstance(value, list) else [value]
        return sorted(names.get(pk, f"#{pk} (deleted)") for pk in ids if pk is not None)
    if isinstance(value, list):
        return [str(item) for item in value]
    return str(value or "").splitlines()


def _diff_lines(old: list[str], new: list[str]) -> list[DiffLine]:
    lines = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            run = old[i1:i2]
            if len(run) > 2 * CONTEXT_LINES + 1:
                lines += [DiffLine("equal", text) for text in run[:CONTEXT_LINES]]
                lines.append(DiffLine("fold", str(len(run) - 2 * CONTEXT_LINES)))
                lines += [DiffLine("equal", text) for text in run[-CONTEXT_LINES:]]
            else:
                lines += [DiffLine("equal", text) for text in run]
            continue
        lines += [DiffLine("delete", text) for text in old[i1:i2]]
        lines += [DiffLine("insert", text) for text in new[j1:j2]]
    return lines


def revisions_diff(old: dict, new: dict) -> list[FieldDiff]:
    """Each content field of two revision snapshots, with line-by-line changes where they differ."""
    names = {}
    for name, model in RELATED.items():
        ids = set()
        for content in (old, new):
            value = content.get(name)
            ids.update(value if isinstance(value, list) else [value])
        ids.discard(None)
        names[name] = _names(model, ids)
    diffs = []
    for name, label in FIELDS:
        old_lines = _as_lines(name, old.get(name), names.get(name, {}))
        new_lines = _as_lines(name, new.get(name), names.get(name, {}))
        changed = old_lines != new_lines
        diffs.append(
            FieldDiff(
                name=name,
                label=label,
                changed=changed,
                lines=_diff_lines(old_lines, new_lines) if changed else [],
            )
        )
    return diffs
