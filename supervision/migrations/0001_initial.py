"""The subsidy rates (from dispatch) and the report roll-ups (from rollups), moved here
with their tables (state only; see shishi_mediation/moves.py)."""

import django.db.models.deletion
from django.db import migrations, models


from shishi_mediation.moves import move_content_types, state_only


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('rollups', '0002_report_indexes'),
        ('dispatch', '0008_models_moved_out'),
    ]

    operations = [
        state_only(
            migrations.CreateModel(
                name='MedianSnapshot',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('cutoff', models.DateTimeField(verbose_name='截止时间')),
                    ('month', models.DateField(verbose_name='月份')),
                    ('scope', models.CharField(max_length=400, verbose_name='范围')),
                    ('grouping', models.CharField(choices=[('unit', 'Unit'), ('street', 'Street'), ('total', 'Total')], max_length=8)),
                    ('key', models.BigIntegerField(blank=True, null=True)),
                    ('sign', models.FloatField(blank=True, null=True)),
                    ('contact', models.FloatField(blank=True, null=True)),
                    ('meet', models.FloatField(blank=True, null=True)),
                    ('checksum', models.DecimalField(blank=True, decimal_places=0, max_digits=40, null=True)),
                ],
                options={
                    'verbose_name': '中位数快照',
                    'verbose_name_plural': '中位数快照',
                    'db_table': 'rollups_mediansnapshot',
                    'indexes': [models.Index(fields=['month', 'scope'], name='rollups_med_month_44366f_idx')],
                },
            ),
            migrations.CreateModel(
                name='SubsidyTier',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('grade', models.CharField(choices=[('simple', '简易'), ('ordinary', '一般'), ('complex', '复杂'), ('major', '重大疑难')], max_length=16, verbose_name='案件等级')),
                    ('amount', models.DecimalField(decimal_places=2, help_text='每件调解成功案件的补贴金额，单位元。', max_digits=10, verbose_name='每案补贴（元）')),
                    ('effective_from', models.DateField(help_text='自此日（含）起结案的案件适用此标准，直到同一等级的下一个生效日期。', verbose_name='生效日期')),
                ],
                options={
                    'verbose_name': '以案定补标准',
                    'verbose_name_plural': '以案定补标准',
                    'db_table': 'dispatch_subsidytier',
                    'ordering': ['grade', '-effective_from'],
                    'constraints': [models.UniqueConstraint(fields=('grade', 'effective_from'), name='subsidy_tier_once_per_date'), models.CheckConstraint(condition=models.Q(('amount__gte', 0)), name='subsidy_tier_amount_not_negative')],
                },
            ),
            migrations.CreateModel(
                name='MonthlyRollup',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('cutoff', models.DateTimeField(verbose_name='截止时间')),
                    ('visits_through', models.BigIntegerField(default=0, verbose_name='回访截至编号')),
                    ('month', models.DateField(verbose_name='月份')),
                    ('received', models.PositiveIntegerField(default=0)),
                    ('cancelled', models.PositiveIntegerField(default=0)),
                    ('dispatched', models.PositiveIntegerField(default=0)),
                    ('sign_on_time', models.PositiveIntegerField(default=0)),
                    ('sign_late', models.PositiveIntegerField(default=0)),
                    ('contact_on_time', models.PositiveIntegerField(default=0)),
                    ('contact_late', models.PositiveIntegerField(default=0)),
                    ('meet_on_time', models.PositiveIntegerField(default=0)),
                    ('meet_late', models.PositiveIntegerField(default=0)),
                    ('closed', models.PositiveIntegerField(default=0)),
                    ('mediated', models.PositiveIntegerField(default=0)),
                    ('reviews_good', models.PositiveIntegerField(default=0)),
                    ('reviews_bad', models.PositiveIntegerField(default=0)),
                    ('escalations_warning', models.PositiveIntegerField(default=0)),
                    ('escalations_level1', models.PositiveIntegerField(default=0)),
                    ('escalations_level2', models.PositiveIntegerField(default=0)),
                    ('return_visits', models.PositiveIntegerField(default=0)),
                    ('first_due_reported_at', models.DateTimeField(blank=True, null=True)),
                    ('community', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='dispatch.area', verbose_name='社区')),
                    ('street', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='dispatch.area', verbose_name='街道')),
                    ('unit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='dispatch.unit', verbose_name='单位')),
                ],
                options={
                    'verbose_name': '月度汇总',
                    'verbose_name_plural': '月度汇总',
                    'db_table': 'rollups_monthlyrollup',
                    'indexes': [models.Index(fields=['month', 'street'], name='rollups_mon_month_ae6703_idx')],
                },
            ),
        ),
        move_content_types("dispatch", "supervision", "subsidytier"),
        move_content_types("rollups", "supervision", "monthlyrollup", "mediansnapshot"),
    ]
