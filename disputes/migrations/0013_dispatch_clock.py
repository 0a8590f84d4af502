"""The dispatch clock (派单, issue 13): its limit on the SLA policy, its limit, due time and
on-time flag on the order, and "dispatch" among the clocks of alarms and escalations.
Its indexes are built by 0014, without locking the order table. Orders reported before
this migration get no dispatch deadline (their fields stay empty)."""

import django.db.models.functions.comparison
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('dispatch', '0008_models_moved_out'),
        ('disputes', '0012_policy_limit_message'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='slapolicy',
            name='sla_policy_positive_limits',
        ),
        migrations.AddField(
            model_name='order',
            name='dispatch_met_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='派单完成时间'),
        ),
        migrations.AddField(
            model_name='order',
            name='dispatch_due_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='派单截止'),
        ),
        migrations.AddField(
            model_name='order',
            name='dispatch_limit',
            field=models.DurationField(blank=True, null=True, verbose_name='派单时限'),
        ),
        migrations.AddField(
            model_name='order',
            name='dispatch_on_time',
            field=models.BooleanField(blank=True, null=True, verbose_name='按时派单'),
        ),
        migrations.AddField(
            model_name='slapolicy',
            name='dispatch_minutes',
            field=models.PositiveIntegerField(default=30, verbose_name='派单时限（分钟，自报单起）'),
        ),
        migrations.AlterField(
            model_name='alarm',
            name='stage',
            field=models.CharField(choices=[('dispatch', '派单'), ('sign', '签收'), ('contact', '联系当事人'), ('meet', '见面调解')], max_length=8, verbose_name='环节'),
        ),
        migrations.AlterField(
            model_name='escalation',
            name='stage',
            field=models.CharField(choices=[('dispatch', '派单'), ('sign', '签收'), ('contact', '联系当事人'), ('meet', '见面调解')], max_length=8, verbose_name='环节'),
        ),
        migrations.AddConstraint(
            model_name='slapolicy',
            constraint=models.CheckConstraint(condition=models.Q(('contact_minutes__gt', 0), ('dispatch_minutes__gt', 0), ('meet_minutes__gt', 0), ('sign_minutes__gt', 0)), name='sla_policy_positive_limits', violation_error_code='not_positive', violation_error_message='各环节时限都必须大于0分钟。'),
        ),
    ]
