"""WTForms for login, passwords and user administration."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from ecrf.auth.models import ROLES


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    submit = SubmitField("Log in")


class NewPasswordMixin:
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=256)],
                                 description="At least 12 characters; a passphrase is easiest to remember.")
    confirm = PasswordField("Repeat the new password",
                            validators=[DataRequired(), EqualTo("new_password", "The two passwords differ.")])


class ChangePasswordForm(FlaskForm, NewPasswordMixin):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=256)])
    submit = SubmitField("Change password")


class ResetPasswordForm(FlaskForm, NewPasswordMixin):
    submit = SubmitField("Set password")


class UserForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)],
                           description="Never reused: a deactivated user keeps their username.")
    full_name = StringField("Full name (printed with signatures)", validators=[DataRequired(), Length(max=200)])
    email = StringField("E-mail address", validators=[DataRequired(), Length(max=254)],
                        description="The user's own address: the link to set a password goes there, and only there.")
    role = SelectField("Role", choices=[(r, r.replace("_", " ")) for r in ROLES])
    sites = SelectMultipleField("Sites", choices=[], description="Non-admin users see only these sites' subjects.")
    submit = SubmitField("Save")


class AccessForm(FlaskForm):
    role = SelectField("Role", choices=[(r, r.replace("_", " ")) for r in ROLES])
    sites = SelectMultipleField("Sites", choices=[])
    submit = SubmitField("Save role and sites")


class ActionForm(FlaskForm):
    """An empty form: a CSRF-protected button."""

    submit = SubmitField("Go")


class SiteForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=20)])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    timezone = StringField("Time zone (IANA)", default="UTC", validators=[DataRequired(), Length(max=64)],
                           description="e.g. Asia/Shanghai; times are stored in UTC and shown in this zone.")
    submit = SubmitField("Create site")
