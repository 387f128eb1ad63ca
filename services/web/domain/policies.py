"""How accounts and sessions are kept safe (the issue's settings; no legal text sets them)."""

from datetime import timedelta

# Five wrong passwords in a row lock the account for fifteen minutes.
LOCK_AFTER_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
# A password an officer chooses: long rather than complicated (NIST SP 800-63B, 3.1.1.2).
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
USERNAME_PATTERN = r"[a-z0-9][a-z0-9._-]{2,63}"
