from django.apps import AppConfig


class PartitionsConfig(AppConfig):
    name = "partitions"
