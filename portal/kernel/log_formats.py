"""The two log formats, shared by Django's LOGGING (settings) and gunicorn's own loggers
(gunicorn.conf.py), so that with LOG_FORMAT=json every line a process writes is JSON."""

FORMATTERS = {
    "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    # One object per line for a log collector. The time is UTC in ISO 8601: the processes run
    # in Asia/Shanghai, and a collector must not guess the zone of a bare local time.
    "json": {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "format": "%(levelname)s %(name)s %(process)d %(message)s",
        "timestamp": "time",
        "rename_fields": {"levelname": "level", "name": "logger"},
        "json_ensure_ascii": False,
    },
}
