"""Queries (data clarification): raised on an item, answered, closed or cancelled, each step a message in a thread."""
