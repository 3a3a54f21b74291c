"""The WTForm of an electronic signature: meaning, credentials, and the confirmation over missing data."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional


class SignForm(FlaskForm):
    """Username (first signing of the session only), password, and the code when the user has a second factor."""

    meaning = SelectField("Meaning of your signature", choices=[], validators=[DataRequired()])
    username = StringField("Username", validators=[Optional(), Length(max=80)],
                           render_kw={"autocomplete": "username"})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})
    code = StringField("Code from your authenticator app", validators=[Optional(), Length(max=40)],
                       render_kw={"autocomplete": "one-time-code"})
    despite_missing = BooleanField("Sign despite missing data")
    submit = SubmitField("Sign")

    def __init__(self, meanings, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.meaning.choices = [(m, m) for m in meanings]
