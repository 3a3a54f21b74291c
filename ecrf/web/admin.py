"""User and site administration (admins only): create, change access, deactivate, send reset mails.

An administrator never sees a reset link or a password: links go by mail to the user's own address.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from ecrf.auth import services
from ecrf.auth.models import Site, User
from ecrf.forms.webforms import AccessForm, ActionForm, SiteForm, UserForm
from ecrf.infra.extensions import db
from ecrf.study.clock import utcnow
from ecrf.web.actions import perform

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _site_choices():
    return [(s.code, f"{s.code} {s.name}") for s in db.session.scalars(select(Site).order_by(Site.code))]


def _user(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


def _reset_link(token: str) -> str:
    return url_for("auth.reset_password", token=token, _external=True)


@bp.get("/users")
def users():
    rows = db.session.scalars(select(User).order_by(User.username)).all()
    return render_template("admin/users.html", users=rows, action=ActionForm(), now=utcnow())


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = UserForm()
    form.sites.choices = _site_choices()
    if form.validate_on_submit():
        def create():
            user = services.create_user(db.session, form.username.data, form.full_name.data, form.role.data,
                                        form.sites.data, email=form.email.data)
            services.send_reset_mail(db.session, user, current_user, _reset_link, welcome=True)
            return user

        if perform(create, lambda user: f"{user.username} created; a link to set the password was mailed to "
                                        f"{user.email}.", field=form.username):
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, title="New user")


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = _user(user_id)
    form = AccessForm(data={"role": user.role, "sites": [s.code for s in user.sites]})
    form.sites.choices = _site_choices()
    action = ActionForm()
    if form.validate_on_submit() and perform(lambda: services.update_access(db.session, user, form.role.data,
                                                                             form.sites.data, by=current_user),
                                             f"Access of {user.username} updated.", field=form.sites):
        return redirect(url_for("admin.users"))
    return render_template("admin/edit_user.html", user=user, form=form, action=action)


@bp.post("/users/<int:user_id>/active/<int:active>")
def set_active(user_id: int, active: int):
    user = _user(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if user.id == current_user.id:
        flash("You cannot deactivate yourself.", "warning")
    else:
        perform(lambda: services.set_active(db.session, user, bool(active)),
                f"{user.username} {'reactivated' if active else 'deactivated'}.")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/reset")
def send_reset_mail(user_id: int):
    user = _user(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    perform(lambda: services.send_reset_mail(db.session, user, current_user, _reset_link),
            f"A password reset link was mailed to {user.username}'s own address.")
    return redirect(url_for("admin.users"))


@bp.route("/sites", methods=["GET", "POST"])
def sites():
    form = SiteForm()
    if form.validate_on_submit() and perform(
            lambda: services.create_site(db.session, form.code.data, form.name.data, form.timezone.data.strip()),
            "Site created.", field=form.code):
        return redirect(url_for("admin.sites"))
    rows = db.session.scalars(select(Site).order_by(Site.code)).all()
    return render_template("admin/sites.html", sites=rows, form=form)
