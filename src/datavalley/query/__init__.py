"""Reading data out of tables: rows with filters, sort and pages (``rows``)."""
