"""交接断面水质: water quality at the township cross-sections, monthly.

``standard`` classes a sample by GB 3838-2002 (the limits are data, gb3838_2002.toml);
``sections`` and ``samples`` import the sections and the monthly results (CSV or Excel, refused
whole by row and column); ``quality`` reads them: each month's class and attainment, the runs
of consecutive misses, the 约谈 list, the shares the city ranks counties by
(``attainment_by_county``) and what the public page shows.
"""
