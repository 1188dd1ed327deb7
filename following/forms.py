from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AlertFrequency


class AlertForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        help_text=_("We send a link to confirm it; nothing is sent until you do."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    frequency = forms.ChoiceField(
        label=_("How often"),
        choices=AlertFrequency.choices,
        initial=AlertFrequency.WEEKLY,
        widget=forms.RadioSelect,
        help_text=_("A digest of what changed; no email when nothing did."),
    )
