"""WTForms for the site laboratories and their normal ranges (the admin pages of ecrf.web.labs)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from ecrf.clinical.lab_ranges import SEXES
from ecrf.study.crfs.labs import ANALYTES


class LaboratoryForm(FlaskForm):
    site = SelectField("Site", validators=[DataRequired()])
    code = StringField("Code", validators=[DataRequired(), Length(max=20)],
                       description="Short code the lab forms name the laboratory by, e.g. LAB1.")
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    submit = SubmitField("Add laboratory")


class RangeForm(FlaskForm):
    analyte = SelectField("Analyte", choices=[(oid, f"{i.label} ({oid})") for oid, i in ANALYTES.items()],
                          validators=[DataRequired()])
    unit = StringField("Unit", validators=[Optional(), Length(max=30)],
                       description="As on the laboratory's report: the CRF unit or another declared for the analyte "
                                   "(the limits are converted by the declared factor). Empty: the CRF unit.")
    low = StringField("Lower limit", validators=[Optional(), Length(max=20)])
    high = StringField("Upper limit", validators=[Optional(), Length(max=20)])
    effective_from = StringField("In force from (YYYY-MM-DD)", validators=[DataRequired(), Length(max=10)])
    effective_to = StringField("In force to, inclusive (YYYY-MM-DD, empty: still in force)",
                               validators=[Optional(), Length(max=10)])
    age_min = StringField("From age (completed years, empty: no lower bound)", validators=[Optional(), Length(max=3)])
    age_max = StringField("To age, inclusive (empty: no upper bound)", validators=[Optional(), Length(max=3)],
                          description="Children 5-17 and adults 18-: the band changes on the 18th birthday.")
    sex = SelectField("Sex", choices=[("", "Any"), *((s, s) for s in SEXES)], validators=[Optional()])
    reason = StringField("Reason for change", validators=[Optional(), Length(max=500)],
                         description="Required when a range is changed; kept in the audit trail.")
    submit = SubmitField("Save range")
