from django.db import migrations


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Administrateurs du syndicat")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="catalogue", codename="manage_catalogue")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0001_initial"),
        ("portal", "0002_audit_append_only_and_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
