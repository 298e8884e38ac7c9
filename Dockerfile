# Production-like image for docker-compose.yml: gunicorn (web), Celery worker and beat share it.
FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml ./
COPY . .
RUN pip install . && useradd --create-home --uid 10001 hub
ENV STATIC_ROOT=/app/staticfiles
# collectstatic needs production settings; these build-time values are thrown away with the layer.
RUN APP_ENV=production DJANGO_SECRET_KEY="$(python -c 'import secrets;print(secrets.token_urlsafe(60))')" \
    DJANGO_ALLOWED_HOSTS=build DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
    FIELD_ENCRYPTION_KEYS="$(python -c 'from cryptography.fernet import Fernet;print(Fernet.generate_key().decode())')" \
    SITE_URL=https://build ENV_FILE=/nonexistent python manage.py collectstatic --noinput -v 0
USER hub
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--access-logfile", "-"]
