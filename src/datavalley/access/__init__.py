"""Access: callers, sharing rules, requests, grants and the audit log."""
