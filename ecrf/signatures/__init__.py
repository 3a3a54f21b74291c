"""Electronic signatures (21 CFR Part 11 §11.50, §11.70, §11.100, §11.200) over a form, a visit or a casebook."""
