"""Source-data verification through the API: a form's (or an item's) SDV state, verifying items or a whole form,
the worklist, progress per site and subject, and the sites' SDV plans. The same services as the web pages."""
from __future__ import annotations

from flask import request
from sqlalchemy import select

from ecrf.api import bodies, inputs
from ecrf.api import replies as out
from ecrf.api.auth import current_user
from ecrf.api.errors import ApiError
from ecrf.api.forms import FORM, REPEATS, target
from ecrf.api.routing import reply, route
from ecrf.auth.models import Site, User
from ecrf.capture import services as capture
from ecrf.capture.locks import LockState, form_state
from ecrf.infra.extensions import db
from ecrf.infra.work import unit_of_work
from ecrf.sdv import progress
from ecrf.sdv import services as sdv
from ecrf.sdv.models import SdvPlan
from ecrf.study.masking import masked
from ecrf.subjects.access import visible_site_ids
from ecrf.subjects.models import Subject


def counts_model(c: progress.Counts) -> out.SdvCounts:
    return out.SdvCounts(required=c.required, verified=c.verified, changed=c.changed, pending=c.pending)


def _item_state(item, stored, states, required, role) -> out.SdvItemState:
    value = stored.values.get(item.oid) if stored else None
    st = sdv.state_of(states, item.oid)
    return out.SdvItemState(
        oid=item.oid, state=st.state, required=item.oid in required, critical=item.critical,
        has_value=value is not None,
        verified_value=None if st.verified_value is None else masked(item, st.verified_value, role),
        verified_by=st.verified_by, verified_at=st.verified_at, changed_by=st.changed_by, changed_at=st.changed_at)


def form_sdv_model(t: capture.Target) -> out.FormSdv:
    stored = capture.find_form(db.session, t)
    states = sdv.form_states(db.session, stored)
    required = sdv.required_for(db.session, t.subject, t.form)
    role = current_user().role
    items = [_item_state(i, stored, states, required, role) for i in t.form.items]
    due = [i for i in items if i.required and i.has_value]
    counts = progress.Counts(len(due), sum(i.state == sdv.VERIFIED for i in due),
                             sum(i.state == sdv.CHANGED for i in due))
    return out.FormSdv(subject=t.subject.key, event_oid=t.event.oid, event_repeat=t.event_repeat,
                       form_oid=t.form.oid, repeat=t.form_repeat,
                       locked=stored is not None and form_state(db.session, stored) is LockState.LOCKED,
                       counts=counts_model(counts), items=items)


@route(FORM + "/sdv", "GET", summary="The source-data verification of each item of a form", ok=out.FormSdv,
       query=REPEATS, errors=(400, 404),
       description="Per item: not verified, verified (by whom, when, at which value) or changed since verified (by "
                   "whom, when), and whether the site's SDV plan requires it for this subject.")
def form_sdv(subject: str, event_oid: str, form_oid: str):
    return reply(form_sdv_model(target(subject, event_oid, form_oid)))


@route(FORM + "/items/<item_oid>/sdv", "GET", summary="The source-data verification of one item",
       ok=out.SdvItemState, query=REPEATS, errors=(400, 404))
def item_sdv(subject: str, event_oid: str, form_oid: str, item_oid: str):
    t = target(subject, event_oid, form_oid)
    item = next((i for i in t.form.items if i.oid == item_oid), None)
    if item is None:
        raise ApiError(404, f"There is no item {item_oid} on form {t.form.oid}.")
    stored = capture.find_form(db.session, t)
    return reply(_item_state(item, stored, sdv.form_states(db.session, stored),
                             sdv.required_for(db.session, t.subject, t.form), current_user().role))


@route(FORM + "/sdv/items", "POST", summary="Verify items of a form against source (monitors)", ok=out.FormSdv,
       query=REPEATS, body=bodies.SdvItems, errors=(403, 404, 422, 423),
       description="Each item is verified at the value it holds now; an item already verified at it is left as it "
                   "is. 422 (nothing stored): an OID the form does not have, an item without a value, a form never "
                   "saved; 423: the form is locked (a frozen form may be verified).")
def verify_items(subject: str, event_oid: str, form_oid: str):
    t = target(subject, event_oid, form_oid)
    oids = inputs.body(bodies.SdvItems).items
    unit_of_work(db.session, lambda: sdv.verify_items(db.session, capture.find_form(db.session, t), t.subject,
                                                      t.form, oids, current_user()))
    return reply(form_sdv_model(t))


@route(FORM + "/sdv/form", "POST", summary="Verify every item of a form that holds a value (monitors)",
       ok=out.FormSdv, query=REPEATS, body=bodies.Empty, errors=(403, 404, 422, 423),
       description="422 when no item holds a value; 423 when the form is locked.")
def verify_form(subject: str, event_oid: str, form_oid: str):
    t = target(subject, event_oid, form_oid)
    inputs.body(bodies.Empty)
    unit_of_work(db.session, lambda: sdv.verify_form(db.session, capture.find_form(db.session, t), t.subject,
                                                     t.form, current_user()))
    return reply(form_sdv_model(t))


def _sites(code: str | None) -> list[Site]:
    """The caller's sites, or the one ``code`` names (404 unknown, 403 another's)."""
    if code is not None and (not code or len(code) > 20 or "\x00" in code):
        raise ApiError(404, "There is no such site.")
    mine = list(db.session.scalars(select(Site).where(Site.id.in_(visible_site_ids(current_user())))
                                   .order_by(Site.code)))
    if code is None:
        return mine
    chosen = [s for s in mine if s.code == code]
    if not chosen:
        if db.session.scalar(select(Site.id).where(Site.code == code)) is not None:
            raise ApiError(403, "This site is not one of yours.")
        raise ApiError(404, f"There is no site {code}.")
    return chosen


@route("/sdv/worklist", "GET", summary="Forms with items your sites' SDV plans require and not yet verified",
       ok=out.SdvWorklist, query=("site",), errors=(404,),
       description="Items changed since verification first, then the oldest forms.")
def sdv_worklist():
    sites = _sites(request.args.get("site"))
    code = {s.id: s.code for s in sites}
    return reply(out.SdvWorklist(forms=[out.SdvWorkItem(
        subject=w.locator.subject_key, site=code[w.site_id], event_oid=w.locator.event_oid,
        event_repeat=w.locator.event_repeat, form_oid=w.locator.form_oid, repeat=w.locator.form_repeat,
        form_label=w.form_label, locked=w.locked, updated_at=w.updated_at, counts=counts_model(w.counts))
        for w in progress.worklist(db.session, list(code))]))


def _plan_models(sites: list[Site]) -> dict[int, out.SdvPlan]:
    ids = [s.id for s in sites]
    in_force = sdv.plans(db.session, ids)
    own = {row.site_id: row for row in db.session.scalars(select(SdvPlan).where(SdvPlan.site_id.in_(ids)))}
    users = dict(db.session.execute(select(User.id, User.username).where(
        User.id.in_([r.updated_by_id for r in own.values()]))).all()) if own else {}
    return {s.id: out.SdvPlan(
        site=s.code, full_first_n=in_force[s.id].full_first_n, then=in_force[s.id].then, own=s.id in own,
        updated_by=users.get(own[s.id].updated_by_id) if s.id in own else None,
        updated_at=own[s.id].updated_at if s.id in own else None) for s in sites}


@route("/sdv/progress", "GET", summary="SDV progress per site and per subject", ok=out.SdvProgress,
       query=("site",), errors=(404,),
       description="Required, verified and changed-since-verified items following each site's plan; the number of "
                   "database statements does not grow with subjects, forms or items.")
def sdv_progress():
    sites = _sites(request.args.get("site"))
    ids = [s.id for s in sites]
    code = {s.id: s.code for s in sites}
    per_subject = progress.by_subject(db.session, ids)
    per_site = {site_id: progress.Counts() for site_id in ids}
    subjects = db.session.execute(select(Subject.id, Subject.key, Subject.site_id).where(Subject.site_id.in_(ids))
                                  .order_by(Subject.key)).all() if ids else []
    for subject_id, _, site_id in subjects:
        per_site[site_id] = per_site[site_id] + per_subject.get(subject_id, progress.Counts())
    plan_models = _plan_models(sites)
    return reply(out.SdvProgress(
        sites=[out.SdvSiteProgress(site=s.code, plan=plan_models[s.id], counts=counts_model(per_site[s.id]))
               for s in sites],
        subjects=[out.SdvSubjectProgress(subject=key, site=code[site_id],
                                         counts=counts_model(per_subject.get(subject_id, progress.Counts())))
                  for subject_id, key, site_id in subjects]))


@route("/sites/<code>/sdv-plan", "GET", summary="A site's SDV plan in force", ok=out.SdvPlan, errors=(404,))
def sdv_plan(code: str):
    site = _sites(code)[0]
    return reply(_plan_models([site])[site.id])


@route("/sites/<code>/sdv-plan", "PUT", summary="Set a site's SDV plan (data managers and monitors)", ok=out.SdvPlan,
       body=bodies.SdvPlanWrite, errors=(404,),
       description="Every item of the first `full_first_n` subjects of the site (in the order they were registered "
                   "there), then `then` for the others: critical items only, all, or none. Audited.")
def set_sdv_plan(code: str):
    site = _sites(code)[0]
    write = inputs.body(bodies.SdvPlanWrite)
    unit_of_work(db.session, lambda: sdv.set_plan(db.session, site, write.full_first_n, write.then, current_user()))
    return reply(_plan_models([site])[site.id])
