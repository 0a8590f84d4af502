# syntax=docker/dockerfile:1
# One image for web (gunicorn), worker and beat (celery); see docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin app

WORKDIR /app

# The agreement PDF (人民调解协议书, WeasyPrint) needs Pango and a CJK font.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, so a source change does not reinstall them. pyproject.toml installs
# no package of its own ([tool.setuptools] packages = []): the code runs from /app.
# README.md* matches nothing while the project has no README; that is fine.
COPY pyproject.toml README.md* ./
RUN pip install .

# The source stays owned by root: the app user can read it, not change it.
COPY . .

# Static files are collected at build time with the production storage (whitenoise's
# manifest), which production settings need at run time. The dummy keys and broker URL
# serve this step only: they keep settings from refusing to load or creating var/broker/.
# Then: var/ (beat schedule) and /data/media (the uploads volume) belong to the app user.
RUN DJANGO_ENV=production \
    SECRET_KEY=collectstatic-only-not-a-secret \
    TIMELINE_CHAIN_KEY=collectstatic-only-not-a-secret-either \
    CELERY_BROKER_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var /data/media \
    && chown app:app /app/var /data/media

USER app

# Defaults for every container of this image; .env / docker-compose.yml set the rest.
ENV DJANGO_ENV=production \
    MEDIA_ROOT=/data/media \
    WEB_CONCURRENCY=3

EXPOSE 8000

# gunicorn reads its worker count from WEB_CONCURRENCY.
CMD ["gunicorn", "shishi_mediation.wsgi:application", "--bind", "0.0.0.0:8000", \
     "--timeout", "60", "--access-logfile", "-"]
