"""The command line: thin modules, one per verb, that parse flags and call the library."""
