#!/usr/bin/env python3
"""IPIs per flip by kernel and CPU count, computed by DuckDB over `pokestat analyze --format
jsonl --rows flips` output (docs/fleet.md). Prints one tab-separated line per group:
kernel, cpus, flips, text_poke IPIs sent, IPIs per flip, files; ordered by kernel then cpus.
usage: ipis-per-flip.py FLIPS.jsonl"""
import sys

import duckdb

rows = duckdb.sql(
    """
    SELECT coalesce(kernel, '') AS kernel, cpus, count(*) AS flips, sum(ipis_sent) AS ipis,
           avg(ipis_sent) AS ipis_per_flip, count(DISTINCT file) AS files
    FROM read_json_auto($path, format = 'newline_delimited')
    WHERE "row" = 'flip'
    GROUP BY ALL
    ORDER BY kernel, cpus
    """,
    params={"path": sys.argv[1]},
).fetchall()
for kernel, cpus, flips, ipis, per_flip, files in rows:
    print(f"{kernel}\t{cpus}\t{flips}\t{ipis}\t{per_flip!r}\t{files}")
