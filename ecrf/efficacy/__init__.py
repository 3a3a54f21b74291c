"""Efficacy computed from stored data per visit: SLEDAI-2K, DORIS, LLDAS, SRI-4, B cells, CAR-T kinetics."""
