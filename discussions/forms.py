"""Input shapes for comments: the text (Markdown) and, for a reply, the number of the comment
it answers (checked against the discussion by the view)."""

from django import forms

from .models import BODY_MAX_LENGTH

MENTION_HELP = "Markdown works. Mention someone with @ and their email, or pick them below."


class CommentForm(forms.Form):
    body = forms.CharField(
        max_length=BODY_MAX_LENGTH,
        label="Comment",
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write something first."},
        help_text=MENTION_HELP,
    )
    reply_to = forms.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput
    )


class CommentEditForm(forms.Form):
    body = forms.CharField(
        max_length=BODY_MAX_LENGTH,
        label="Comment",
        strip=True,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Write something, or delete the comment instead."},
        help_text=MENTION_HELP,
    )
