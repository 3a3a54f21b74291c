"""Outgoing mail: an outbox written in the caller's transaction, and a worker that delivers it over SMTP.

A message is queued in the same transaction as the event that causes it (a password reset, later a safety
notification), so it exists exactly when the event does. The worker claims messages under a lease, sends
them, and records every attempt; a message once delivered is never claimed again.
"""
