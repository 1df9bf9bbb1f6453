from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_public_references_as_plain_ids")]
    operations = [
        migrations.RunSQL(
            "COMMENT ON TABLE accounts_serviceaccount IS 'banc'",
            "COMMENT ON TABLE accounts_serviceaccount IS NULL",
        )
    ]
