"""One blueprint per resource of the admin API, all under /admin/."""
