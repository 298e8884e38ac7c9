"""LINE WORKS API 2.0: service-account JWT auth, the bot message client, and the callback signature."""
