"""See editorial.storage.backends."""
