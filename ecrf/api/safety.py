"""Safety through the API: the SAE list with its reporting clocks, as the web's SAE page (ecrf.safety.saes)."""
from __future__ import annotations

from ecrf.api import replies as out
from ecrf.api.auth import current_user
from ecrf.api.routing import reply, route
from ecrf.infra.extensions import db
from ecrf.safety import clocks
from ecrf.safety import saes as sae_list
from ecrf.study import codec
from ecrf.study.clock import utcnow
from ecrf.subjects.access import visible_site_ids


def _site(moment, zone) -> str | None:
    return None if moment is None else codec.local_text(moment, zone)


def sae_model(row: sae_list.SaeRow, now) -> out.Sae:
    return out.Sae(
        subject=row.subject, subject_key=row.subject_key, site=row.site, ae_repeat=row.ae_repeat, term=row.term,
        grade=row.grade, onset=row.onset, awareness=row.awareness, awareness_site=_site(row.awareness, row.zone),
        susar=row.facts.susar, fatal_or_life_threatening=row.facts.fatal_or_life_threatening, state=row.state(now),
        clocks=[out.SaeClock(type=c.type, label=c.label, starts=c.starts, due=c.due, due_site=_site(c.due, row.zone),
                             sent=c.sent, sent_site=_site(c.sent, row.zone), state=c.state(now)) for c in row.clocks],
        reports=[out.SaeReport(type=r.type, recipient=r.recipient, sent_at=r.sent_at,
                               sent_at_site=_site(r.sent_at, row.zone), form_repeat=r.form_repeat)
                 for r in row.reports])


@route("/saes", "GET", summary="The serious adverse events of your sites, with each report's due time",
       ok=out.SaeList,
       description="An SAE is an adverse event recorded serious. Due times run from the site's awareness: the "
                   "initial report within 24 h; a SUSAR within 7 days (fatal or life-threatening, then a follow-up "
                   "within 8 more days) or 15 days; a follow-up within 15 days of new information. Reports sent "
                   "are the subject's SAE report log (F.SAERPT).")
def saes():
    user, now = current_user(), utcnow()
    rows = sae_list.list_saes(db.session, visible_site_ids(user), user.role)
    return reply(out.SaeList(rules=clocks.VERSION, now=now, saes=[sae_model(r, now) for r in rows]))
