"""gunicorn reads this from the working directory (the Dockerfile's and compose's web
command, ``make loadtest``): its access and error lines are masked like the app's own
(party numbers, review link tokens); see ``shishi_mediation/logs.py``."""

logger_class = "shishi_mediation.logs.GunicornLogger"
