"""The clocks' models, the inbox and outbox, the SLA policy and the subsidy rates moved
to disputes, notifications and supervision with their tables: state only."""

from django.db import migrations


from shishi_mediation.moves import state_only


class Migration(migrations.Migration):

    dependencies = [
        ('dispatch', '0007_sla_policy_messages'),
    ]

    operations = [
        state_only(
            migrations.RemoveField(
                model_name='alarm',
                name='order',
            ),
            migrations.RemoveField(
                model_name='delivery',
                name='notification',
            ),
            migrations.RemoveField(
                model_name='escalation',
                name='order',
            ),
            migrations.RemoveField(
                model_name='escalation',
                name='unit',
            ),
            migrations.RemoveField(
                model_name='notification',
                name='order',
            ),
            migrations.RemoveField(
                model_name='notification',
                name='recipient',
            ),
            migrations.RemoveField(
                model_name='slapolicy',
                name='category',
            ),
            migrations.DeleteModel(
                name='SubsidyTier',
            ),
            migrations.DeleteModel(
                name='Alarm',
            ),
            migrations.DeleteModel(
                name='Delivery',
            ),
            migrations.DeleteModel(
                name='Escalation',
            ),
            migrations.DeleteModel(
                name='Notification',
            ),
            migrations.DeleteModel(
                name='SlaPolicy',
            ),
        ),
    ]
