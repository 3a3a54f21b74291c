"""Safety: CRS/ICANS episodes, adverse events and SAE clocks, safety notifications, haematotoxicity (ICAHT)."""
