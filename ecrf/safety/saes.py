"""The SAE list: every serious adverse event of the reader's sites, with its clocks and the reports sent.

An SAE is an F.AE record answered Serious = Yes. Its reports are the subject's F.SAERPT records naming its AE record
number (the AE form's repeat), plus the AE form's own "initial report sent" time (I.AE.RPTDTC) as an initial
report. Read in one statement whatever the number of SAEs, subjects or reports: the item values of the serious AE
forms and of the report forms of the given sites, with each subject's code and site.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ecrf.auth.models import Site
from ecrf.capture.models import FormData, ItemData, StudyEventData
from ecrf.safety import clocks
from ecrf.study import clock, codec, masking
from ecrf.study.definition import load as load_study
from ecrf.subjects.models import Subject

AE, REPORT = "F.AE", "F.SAERPT"
#: the AE items the list reads
AE_ITEMS = ("I.AE.TERM", "I.AE.STDAT", "I.AE.TOXGR", "I.AE.SER", "I.AE.SDTH", "I.AE.SLIFE", "I.AE.AWAREDTC",
            "I.AE.RPTDTC", "I.AE.EXPECT", "I.AE.NEWINFODTC", "I.AE.RELCART", "I.AE.RELLD", "I.AE.DLT", "I.AE.OUT")
REPORT_ITEMS = ("I.SAERPT.AENO", "I.SAERPT.TYPE", "I.SAERPT.SENTDTC", "I.SAERPT.RECIP")


@dataclass(frozen=True)
class SentReport:
    type: str
    sent_at: datetime
    recipient: str | None
    form_repeat: int


@dataclass
class SaeRow:
    subject_key: str
    subject: str  # the subject's code: the subject number once enrolled, else the screening number
    site: str
    zone: ZoneInfo
    ae_repeat: int
    term: str | None
    grade: str | None
    onset: str | None
    awareness: datetime | None
    facts: clocks.SaeFacts
    reports: list[SentReport] = field(default_factory=list)
    clocks: list[clocks.Clock] = field(default_factory=list)

    def state(self, now: datetime) -> str | None:
        """The most urgent clock state; "no_awareness" while the awareness time is missing."""
        return clocks.worst(self.clocks, now) if self.awareness else "no_awareness"


def facts_of(values: dict) -> clocks.SaeFacts:
    """The clocks' facts from an AE form's stored values."""
    return clocks.SaeFacts(
        awareness=codec.decode_datetime(values.get("I.AE.AWAREDTC")),
        related=clocks.is_related(values.get("I.AE.RELCART"), values.get("I.AE.RELLD")),
        unexpected=values.get("I.AE.EXPECT") != "EXPECTED",
        fatal_or_life_threatening="Y" in (values.get("I.AE.SDTH"), values.get("I.AE.SLIFE"))
        or values.get("I.AE.OUT") == "FATAL",
        new_information=codec.decode_datetime(values.get("I.AE.NEWINFODTC")),
    )


def _statement(site_ids):
    serious = select(ItemData.form_id).where(ItemData.item_oid == "I.AE.SER", ItemData.value == "Y")
    return (
        select(Subject.id, Subject.key, Subject.subject_no, Site.code, Site.timezone, FormData.form_oid,
               FormData.repeat_key, ItemData.item_oid, ItemData.value)
        .join(ItemData.form).join(FormData.event).join(StudyEventData.subject).join(Site, Subject.site_id == Site.id)
        .where(Subject.site_id.in_(site_ids), StudyEventData.event_oid == "SE.SUBJECT", ItemData.value.is_not(None),
               or_(and_(FormData.form_oid == AE, FormData.id.in_(serious), ItemData.item_oid.in_(AE_ITEMS)),
                   and_(FormData.form_oid == REPORT, ItemData.item_oid.in_(REPORT_ITEMS))))
        .order_by(Site.code, Subject.key, FormData.form_oid, FormData.repeat_key)
    )


def list_saes(session: Session, site_ids, role: str | None = None) -> list[SaeRow]:
    """The SAEs of ``site_ids`` (the reader's sites), the AE term as ``role`` may see it, oldest awareness first."""
    site_ids = set(site_ids)
    if not site_ids:
        return []
    forms: dict[tuple[int, str, int], dict] = {}
    who: dict[int, tuple[str, str, str, str]] = {}
    for sid, key, number, site, tz, form_oid, repeat, oid, value in session.execute(_statement(site_ids)):
        who[sid] = (key, number or key, site, tz)
        forms.setdefault((sid, form_oid, repeat), {})[oid] = value
    reports: dict[tuple[int, int], list[SentReport]] = {}
    for (sid, form_oid, repeat), values in forms.items():
        sent = codec.decode_datetime(values.get("I.SAERPT.SENTDTC"))
        number = values.get("I.SAERPT.AENO")
        if form_oid == REPORT and sent is not None and number and number.isdigit() and values.get("I.SAERPT.TYPE"):
            reports.setdefault((sid, int(number)), []).append(
                SentReport(values["I.SAERPT.TYPE"], sent, values.get("I.SAERPT.RECIP"), repeat))
    term_item = load_study().items["I.AE.TERM"]
    rows = []
    for (sid, form_oid, repeat), values in forms.items():
        if form_oid != AE:
            continue
        key, code, site, tz = who[sid]
        sent = sorted(reports.get((sid, repeat), []), key=lambda r: r.sent_at)
        initial = codec.decode_datetime(values.get("I.AE.RPTDTC"))
        given = [clocks.Report(r.type, r.sent_at) for r in sent]
        if initial is not None:
            given.append(clocks.Report(clocks.INITIAL, initial))
        facts = facts_of(values)
        rows.append(SaeRow(key, code, site, clock.zone(tz), repeat, masking.masked(term_item, values.get("I.AE.TERM"),
                                                                                  role),
                           values.get("I.AE.TOXGR"), values.get("I.AE.STDAT"), facts.awareness, facts, sent,
                           clocks.clocks(facts, given)))
    return sorted(rows, key=lambda r: (r.awareness is not None, r.awareness or datetime.min, r.subject, r.ae_repeat))
