"""Users made before allauth (the demo seed, the Django admin) get their address as a verified primary
EmailAddress: mandatory verification must not lock them out of the login they had."""

from django.db import migrations


def forwards(apps, schema_editor):
    User = apps.get_model("auth", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    taken = {e.lower() for e in EmailAddress.objects.values_list("email", flat=True)}
    for user in User.objects.exclude(email="").order_by("id"):
        if user.email.lower() in taken or EmailAddress.objects.filter(user=user).exists():
            continue
        # allauth looks addresses up in lower case (its migration 0006 lowered the ones it had)
        EmailAddress.objects.create(user=user, email=user.email.lower(), verified=True, primary=True)
        taken.add(user.email.lower())


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("account", "0009_emailaddress_unique_primary_email"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
