"""The admin service: users, applications, services, keys. Built in a later issue."""
