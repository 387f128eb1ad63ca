"""Signed callbacks from third parties (the postal carrier's tracking, the SMS
gateway's delivery receipts): HMAC-SHA256 over the raw body, hex, in X-Signature."""
import hashlib
import hmac


def sign(secret, raw_body):
    return hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()


def signature_ok(secret, raw_body, signature):
    """An empty secret never validates: it would let anyone sign."""
    return bool(secret) and bool(signature) and hmac.compare_digest(sign(secret, raw_body), signature)
