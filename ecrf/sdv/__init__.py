"""Source-data verification: per item, against the value verified, following each site's SDV plan."""
