"""One module per command: the use case behind each CLI verb."""
