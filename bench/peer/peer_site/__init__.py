"""A minimal Django project hosting django-helpdesk for the benchmark (issue 7)."""
