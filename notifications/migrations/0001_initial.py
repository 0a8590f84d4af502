"""The inbox and the outbox, moved here from dispatch with their tables (state only;
see shishi_mediation/moves.py)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


from shishi_mediation.moves import move_content_types, state_only


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('dispatch', '0008_models_moved_out'),
        ('disputes', '0011_clock_models_moved_in'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        state_only(
            migrations.CreateModel(
                name='Notification',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('kind', models.CharField(max_length=24, verbose_name='类型')),
                    ('subject', models.CharField(max_length=200, verbose_name='标题')),
                    ('body', models.TextField(blank=True, verbose_name='内容')),
                    ('created_at', models.DateTimeField(verbose_name='时间')),
                    ('read_at', models.DateTimeField(blank=True, null=True, verbose_name='已读时间')),
                    ('order', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='disputes.order', verbose_name='订单')),
                    ('recipient', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL, verbose_name='接收人')),
                ],
                options={
                    'verbose_name': '通知',
                    'verbose_name_plural': '通知',
                    'db_table': 'dispatch_notification',
                    'ordering': ['-created_at', '-id'],
                },
            ),
            migrations.CreateModel(
                name='Delivery',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('channel', models.CharField(max_length=16, verbose_name='渠道')),
                    ('status', models.CharField(choices=[('pending', '待发送'), ('sent', '已发送'), ('failed', '发送失败')], default='pending', max_length=8, verbose_name='状态')),
                    ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='尝试次数')),
                    ('next_attempt_at', models.DateTimeField(verbose_name='下次尝试')),
                    ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='发送时间')),
                    ('last_error', models.TextField(blank=True, verbose_name='最近错误')),
                    ('notification', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='notifications.notification')),
                ],
                options={
                    'verbose_name': '外发记录',
                    'verbose_name_plural': '外发记录',
                    'db_table': 'dispatch_delivery',
                },
            ),
            migrations.AddIndex(
                model_name='notification',
                index=models.Index(fields=['recipient', '-created_at'], name='dispatch_no_recipie_6465e2_idx'),
            ),
            migrations.AddIndex(
                model_name='notification',
                index=models.Index(condition=models.Q(('read_at__isnull', True)), fields=['recipient'], name='notification_unread'),
            ),
            migrations.AddIndex(
                model_name='delivery',
                index=models.Index(condition=models.Q(('status', 'pending')), fields=['next_attempt_at'], name='delivery_pending_due'),
            ),
            migrations.AddConstraint(
                model_name='delivery',
                constraint=models.UniqueConstraint(fields=('notification', 'channel'), name='delivery_once'),
            ),
        ),
        move_content_types("dispatch", "notifications", "notification", "delivery"),
    ]
