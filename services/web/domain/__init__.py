"""The web service's own rules: staff accounts, their sign-in and lockout."""
