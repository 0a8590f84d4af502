"""Alarms move off the order row into their own narrow table (see ``dispatch.Alarm``);
the escalation's sweep token goes (the sweep reads back what it inserted by RETURNING);
escalations get ``notified_at`` (their notices are written after the sweep, once), set
for the escalations that exist, whose notices were written with them.
The order's alarm columns are copied here and dropped in disputes 0007."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

STAGES = ("sign", "contact", "meet")


def copy_alarms(apps, schema_editor):
    # Re-runnable: a row already copied is left as it is.
    for stage in STAGES:
        schema_editor.execute(
            "INSERT INTO dispatch_alarm (order_id, stage, level, fire_at) "
            f"SELECT id, '{stage}', {stage}_alert_level, {stage}_alert_at FROM disputes_order "
            f"WHERE {stage}_alert_at IS NOT NULL ON CONFLICT DO NOTHING"
        )


def copy_back(apps, schema_editor):
    for stage in STAGES:
        schema_editor.execute(
            f"UPDATE disputes_order SET {stage}_alert_level = a.level, {stage}_alert_at = a.fire_at "
            f"FROM dispatch_alarm a WHERE a.order_id = disputes_order.id AND a.stage = '{stage}'"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("dispatch", "0005_default_subsidy_tiers"),
        ("disputes", "0005_timeline_seq_unique"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Alarm",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "stage",
                    models.CharField(
                        choices=[("sign", "签收"), ("contact", "联系当事人"), ("meet", "见面调解")],
                        max_length=8,
                        verbose_name="环节",
                    ),
                ),
                (
                    "level",
                    models.PositiveSmallIntegerField(
                        choices=[(0, "临期预警"), (1, "一级督办"), (2, "二级督办")],
                        verbose_name="级别",
                    ),
                ),
                ("fire_at", models.DateTimeField(verbose_name="触发时间")),
                (
                    "order",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="alarms",
                        to="disputes.order",
                    ),
                ),
            ],
            options={"verbose_name": "督办计时", "verbose_name_plural": "督办计时"},
        ),
        migrations.AddIndex(
            model_name="alarm",
            index=models.Index(fields=["fire_at", "id"], name="alarm_fire_at"),
        ),
        migrations.AddConstraint(
            model_name="alarm",
            constraint=models.UniqueConstraint(
                fields=("order", "stage"), name="alarm_one_per_stage"
            ),
        ),
        migrations.RunPython(copy_alarms, copy_back),
        migrations.RemoveIndex(model_name="escalation", name="dispatch_es_sweep_t_671937_idx"),
        migrations.RemoveField(model_name="escalation", name="sweep_token"),
        migrations.AddField(
            model_name="escalation",
            name="notified_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="通知时间"),
        ),
        migrations.RunSQL(
            "UPDATE dispatch_escalation SET notified_at = raised_at WHERE notified_at IS NULL",
            migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name="escalation",
            index=models.Index(
                condition=models.Q(("notified_at__isnull", True)),
                fields=["id"],
                name="escalation_unnotified",
            ),
        ),
        # Single-column indexes that repeat the leading column of a composite one: every
        # row the sweep and its notices insert paid for them.
        migrations.AlterField(
            model_name="delivery",
            name="notification",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deliveries",
                to="dispatch.notification",
            ),
        ),
        migrations.AlterField(
            model_name="escalation",
            name="order",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="escalations",
                to="disputes.order",
                verbose_name="订单",
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="recipient",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="notifications",
                to=settings.AUTH_USER_MODEL,
                verbose_name="接收人",
            ),
        ),
    ]
