"""SLA policy, alarms and escalations, moved here from dispatch with their tables
(state only; see shishi_mediation/moves.py)."""

import django.db.models.deletion
from django.db import migrations, models


from shishi_mediation.moves import move_content_types, state_only


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('dispatch', '0008_models_moved_out'),
        ('disputes', '0010_escalation_event_label'),
    ]

    operations = [
        state_only(
            migrations.CreateModel(
                name='Alarm',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('stage', models.CharField(choices=[('sign', '签收'), ('contact', '联系当事人'), ('meet', '见面调解')], max_length=8, verbose_name='环节')),
                    ('level', models.PositiveSmallIntegerField(choices=[(0, '临期预警'), (1, '一级督办'), (2, '二级督办')], verbose_name='级别')),
                    ('fire_at', models.DateTimeField(verbose_name='触发时间')),
                    ('order', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='alarms', to='disputes.order')),
                ],
                options={
                    'verbose_name': '督办计时',
                    'verbose_name_plural': '督办计时',
                    'db_table': 'dispatch_alarm',
                    'indexes': [models.Index(fields=['fire_at', 'id'], name='alarm_fire_at')],
                    'constraints': [models.UniqueConstraint(fields=('order', 'stage'), name='alarm_one_per_stage')],
                },
            ),
            migrations.CreateModel(
                name='Escalation',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('stage', models.CharField(choices=[('sign', '签收'), ('contact', '联系当事人'), ('meet', '见面调解')], max_length=8, verbose_name='环节')),
                    ('level', models.PositiveSmallIntegerField(choices=[(0, '临期预警'), (1, '一级督办'), (2, '二级督办')], verbose_name='级别')),
                    ('stage_due_at', models.DateTimeField(verbose_name='环节截止')),
                    ('fire_at', models.DateTimeField(verbose_name='触发时间')),
                    ('raised_at', models.DateTimeField(verbose_name='发出时间')),
                    ('resolved_at', models.DateTimeField(blank=True, null=True, verbose_name='解除时间')),
                    ('notified_at', models.DateTimeField(blank=True, null=True, verbose_name='通知时间')),
                    ('order', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='escalations', to='disputes.order', verbose_name='订单')),
                    ('unit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to='dispatch.unit', verbose_name='责任单位')),
                ],
                options={
                    'verbose_name': '超时督办',
                    'verbose_name_plural': '超时督办',
                    'db_table': 'dispatch_escalation',
                    'ordering': ['-raised_at', '-id'],
                    'indexes': [models.Index(condition=models.Q(('resolved_at__isnull', True)), fields=['order', 'stage'], name='escalation_open'), models.Index(fields=['raised_at'], name='dispatch_es_raised__123a7d_idx'), models.Index(condition=models.Q(('notified_at__isnull', True)), fields=['id'], name='escalation_unnotified')],
                    'constraints': [models.UniqueConstraint(fields=('order', 'stage', 'level', 'stage_due_at'), name='escalation_once')],
                },
            ),
            migrations.CreateModel(
                name='SlaPolicy',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('risk_level', models.CharField(blank=True, choices=[('low', '低'), ('medium', '中'), ('high', '高')], help_text='留空表示所有风险等级。', max_length=16, verbose_name='风险等级')),
                    ('sign_minutes', models.PositiveIntegerField(default=30, verbose_name='签收时限（分钟）')),
                    ('contact_minutes', models.PositiveIntegerField(default=1440, verbose_name='联系时限（分钟，自签收起）')),
                    ('meet_minutes', models.PositiveIntegerField(default=2880, verbose_name='见面调解时限（分钟，自签收起）')),
                    ('category', models.ForeignKey(blank=True, help_text='留空表示所有类别。', null=True, on_delete=django.db.models.deletion.CASCADE, to='dispatch.category', verbose_name='类别')),
                ],
                options={
                    'verbose_name': '时限规则',
                    'verbose_name_plural': '时限规则',
                    'db_table': 'dispatch_slapolicy',
                    'constraints': [models.UniqueConstraint(condition=models.Q(('category__isnull', False)), fields=('category', 'risk_level'), name='sla_policy_unique', violation_error_code='duplicate', violation_error_message='该类别和风险等级的时限规则已存在，请修改原有规则。'), models.UniqueConstraint(condition=models.Q(('category__isnull', True)), fields=('risk_level',), name='sla_policy_unique_any_category', violation_error_code='duplicate', violation_error_message='适用于所有类别、该风险等级的时限规则已存在，请修改原有规则。'), models.CheckConstraint(condition=models.Q(('contact_minutes__gt', 0), ('meet_minutes__gt', 0), ('sign_minutes__gt', 0)), name='sla_policy_positive_limits', violation_error_code='not_positive', violation_error_message='签收、联系、见面调解时限都必须大于0分钟。'), models.CheckConstraint(condition=models.Q(('meet_minutes__gte', models.F('contact_minutes'))), name='sla_policy_meet_after_contact', violation_error_code='meet_before_contact', violation_error_message='见面调解时限不能短于联系时限（两者都自签收起算）。')],
                },
            ),
        ),
        move_content_types("dispatch", "disputes", "slapolicy", "alarm", "escalation"),
    ]
