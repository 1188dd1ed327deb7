"""The case-study admin: the editorial workflow (buttons for allowed transitions, comment trail),
revisions with diffs and restore, staff previews and shareable preview links.

Every save and transition goes through casestudies.services; a refusal (wrong role, wrong
state, a conflicting edit) is shown with the messages framework, never as a 500.

`case_study` holds the ModelAdmin, `views` its workflow, revision and preview pages, `forms`
and `filters` what they use; importing them registers the models.
"""

from .case_study import CaseStudyAdmin, ChangeNoteInline, RegulatoryTopicAdmin

__all__ = ["CaseStudyAdmin", "ChangeNoteInline", "RegulatoryTopicAdmin"]
