"""The trial as data: definition types, CRFs, schedule, code lists, calculated items, the value codec, the site
clock and the protocol parameters. Pure: no Flask, no database."""
