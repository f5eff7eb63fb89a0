"""SQLAlchemy models and database set-up shared by api and admin. Built in the next issue."""
