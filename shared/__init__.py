"""Code every Một Cửa service uses: config, clock, database, events, messaging, auth."""

import warnings

# nameko 2.x runs on eventlet, which warns at import that it is in maintenance mode.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
