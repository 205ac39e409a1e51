from django import forms


class DigestPreferenceForm(forms.Form):
    receive = forms.BooleanField(
        required=False,
        label="Email me the weekly digest",
        help_text="Unticked: no digest from this organization. Other organizations keep theirs.",
    )
