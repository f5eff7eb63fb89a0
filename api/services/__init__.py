"""The api's service layer: what each endpoint does, without Flask. Views parse the request, call
one of these, and render the plain result; every service function raises
:class:`common.errors.ApiError` for what the client did wrong."""
