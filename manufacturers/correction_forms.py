from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Correction


class CorrectionForm(forms.Form):
    """What a member of the public says is wrong, with an optional email for a reply."""

    message = forms.CharField(
        label=_("What is wrong?"),
        help_text=_("Tell us what is wrong and what it should say. A link to a source helps us check."),
        max_length=Correction._meta.get_field("message").max_length,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 60}),
        error_messages={"required": _("Tell us what is wrong.")},
    )
    email = forms.EmailField(
        label=_("Your email (optional)"),
        help_text=_("Only if you would like us to be able to ask you about it."),
        required=False,
        error_messages={"invalid": _("Enter an email address such as name@example.com, or leave it empty.")},
    )
    # A honeypot: hidden from people (and from assistive technology), but bots fill it in.
    homepage = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("message", "email"):
            described_by = [f"id_{name}-hint"]
            if self.is_bound and name in self.errors:
                described_by.append(f"id_{name}-error")
            self.fields[name].widget.attrs["aria-describedby"] = " ".join(described_by)

    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("homepage"))
