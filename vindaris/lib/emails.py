"""One helper renders every email: subject, text body and HTML body from templates."""

from collections.abc import Mapping, Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def render_templated_email(
    template_base: str,
    *,
    to: Sequence[str],
    context: Mapping[str, object],
    headers: Mapping[str, str] | None = None,
) -> EmailMultiAlternatives:
    """Build a message from <template_base>_subject.txt, _body.txt and _body.html."""
    ctx = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"{template_base}_subject.txt", ctx).split())
    text = render_to_string(f"{template_base}_body.txt", ctx)
    html = render_to_string(f"{template_base}_body.html", ctx)
    message = EmailMultiAlternatives(subject, text, to=list(to), headers=dict(headers or {}))
    message.attach_alternative(html, "text/html")
    return message


def send_templated_email(
    template_base: str,
    *,
    to: Sequence[str],
    context: Mapping[str, object],
    headers: Mapping[str, str] | None = None,
) -> None:
    render_templated_email(template_base, to=to, context=context, headers=headers).send()
