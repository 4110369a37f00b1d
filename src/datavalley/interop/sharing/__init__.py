"""Delta Sharing: shares of tables for external recipients, served over the open protocol.

``models``      shares, their tables, recipients and their links (the metadata store)
``shares``      making shares and putting tables and recipients in them (providers, the authority)
``recipients``  recipients, their bearer tokens (digests at rest) and ``.share`` profile files
``readable``    which of a share's tables a recipient may read now (every listing and endpoint asks)
``snapshot``    the Parquet files a recipient is handed for one table version under its read plan
``signing``     signed, expiring URLs for those files
``protocol``    the protocol's answers (shares, schemas, tables, version, metadata, query)
``routes``      the HTTP endpoints under ``/delta-sharing/``
"""
