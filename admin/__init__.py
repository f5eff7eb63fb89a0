"""The admin service: users and sign-in, applications and members, services and API keys,
statistics. The domain modules (accounts, applications, members, services, statistics) have no
Flask in them, so that the web API (admin.app, admin.views) and the ``likeness`` CLI share them."""
