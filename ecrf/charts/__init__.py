"""Charts over study day, drawn once (reportlab graphics) and rendered as SVG on screen and into PDFs."""
