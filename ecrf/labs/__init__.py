"""Local laboratories of the sites and their normal ranges (issue 13 item 5).

``models``: the tables; ``services``: the only writers (audited, one transaction) and the one read of a site's
ranges for the lab CRFs' flags. The pure rules (which range is in force, the flag) are
``ecrf.clinical.lab_ranges``; the unit factors ``ecrf.clinical.lab_units``.
"""
