"""Where the record is kept: the one event writer (events), versions written in bulk as
reversion writes them (versioning), rows without instances (bulk), history that cannot be
erased (history), the search index kept in step with bulk inserts (search), and backups
(backup). Callers import the module they need: `from editorial.storage import events`."""
