"""``kubelite kubectl``: a built-in client for machines without kubectl, covering the seeds' commands
with kubectl's flags and output. It is a thin front on the library's client and object model (the
tables are the same printers the API server uses); it is not a second implementation of the API."""
