"""The demo the service starts with (`make run`): its data file, its recordings, its schema."""
