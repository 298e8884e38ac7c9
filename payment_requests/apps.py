from django.apps import AppConfig


class PaymentRequestsConfig(AppConfig):
    name = "payment_requests"
