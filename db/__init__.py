"""The database shared by api and admin: models (``models``), connections (``engine``), migrations
run from code (``migrate``) and the cross-server change notifications (``notify``)."""
