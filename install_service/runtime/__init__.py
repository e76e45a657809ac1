"""The workflow runtime: DBOS engine, the run of one execution, blocks, expressions."""
