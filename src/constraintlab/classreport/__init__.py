"""The instructor's class report: many students' Design Ledgers -> one offline HTML page + data.

Pipeline: :mod:`.inputs` (files, folders, globs) -> :mod:`.load` (the ledger's parser,
duplicates, problems) -> :mod:`.analytics` (DuckDB tables and SQL) -> :mod:`.charts` (plotly)
-> :mod:`.html` (the page) and :mod:`.outputs` (CSV, parquet). :mod:`.build` runs it all;
``constraintlab class-report`` is its command line. :mod:`.testdata` generates classes with
known answers for the tests and the benchmark.
"""
