"""WTForms of the second factor: a one-time code, and the account page's choice of what to do."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import AnyOf, DataRequired, Length


class CodeForm(FlaskForm):
    """A code from the authenticator app (or, where offered, a recovery code)."""

    code = StringField("Code", validators=[DataRequired(), Length(max=40)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True},
                       description="The 6-digit code your authenticator app shows now, or one of your recovery "
                                   "codes.")
    submit = SubmitField("Continue")


class SecondFactorForm(CodeForm):
    """The account page: start enrolment, confirm it, renew the recovery codes or turn the factor off."""

    step = HiddenField(validators=[AnyOf(("start", "confirm", "recovery", "disable"))])
    code = StringField("Code", validators=[Length(max=40)], render_kw={"autocomplete": "one-time-code"},
                       description="The 6-digit code your authenticator app shows now.")
