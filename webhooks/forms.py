"""Input shape of the webhooks pages."""

from django import forms
from django.core.validators import URLValidator

from vindaris.lib import events

from .services import DESCRIPTION_MAX_LENGTH


class HttpURLField(forms.URLField):
    """An http or https URL (not ftp, which Django's URLField also takes)."""

    default_validators = [URLValidator(schemes=["http", "https"])]


class EndpointForm(forms.Form):
    url = HttpURLField(
        label="URL",
        max_length=2000,
        assume_scheme="https",
        help_text="Where Vindaris POSTs the events: an https:// URL on the public internet.",
    )
    description = forms.CharField(
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        help_text="What receives them: “CI bot”, “warehouse loader”.",
    )
    events = forms.MultipleChoiceField(
        choices=list(events.TYPES.items()),
        widget=forms.CheckboxSelectMultiple,
        initial=list(events.TYPES),
        error_messages={"required": "Choose at least one event."},
    )


class EndpointEditForm(EndpointForm):
    active = forms.BooleanField(
        required=False,
        label="Active",
        help_text="An inactive endpoint receives nothing; events of its types are not kept.",
    )
