"""The hash chain over the audit events: number and hash every existing event in id order (the
order they were written), then require the number. See rectify/audit/chain.py."""

import django.db.models.deletion
import rectify.core.clock
from django.conf import settings
from django.db import migrations, models

GENESIS = "0" * 64


def backfill(apps, schema_editor):
    from rectify.audit.chain import HASHED_FIELDS, HEAD_PK, event_hash

    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    seq, prev, last_id = 0, GENESIS, 0
    while True:
        rows = list(
            AuditEvent.objects.filter(pk__gt=last_id).order_by("pk").values("pk", *HASHED_FIELDS)[:2000]
        )
        if not rows:
            break
        changed = []
        for row in rows:
            seq += 1
            digest = event_hash(prev, row)
            changed.append(AuditEvent(pk=row["pk"], seq=seq, prev_hash=prev, hash=digest))
            prev = digest
        AuditEvent.objects.bulk_update(changed, ["seq", "prev_hash", "hash"], batch_size=500)
        last_id = rows[-1]["pk"]
    AuditChainHead.objects.update_or_create(pk=HEAD_PK, defaults={"seq": seq, "hash": prev})


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.PositiveBigIntegerField(default=0)),
                ("hash", models.CharField(default=GENESIS, max_length=64)),
            ],
            options={"verbose_name": "留痕链头", "verbose_name_plural": "留痕链头"},
        ),
        migrations.CreateModel(
            name="AuditVerification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(default=rectify.core.clock.now, verbose_name="校验时间")),
                ("trigger", models.CharField(max_length=40, verbose_name="发起")),
                ("events", models.PositiveBigIntegerField(default=0, verbose_name="校验条数")),
                ("head_seq", models.PositiveBigIntegerField(default=0, verbose_name="链头序号")),
                ("head_hash", models.CharField(blank=True, max_length=64, verbose_name="链头哈希")),
                ("ok", models.BooleanField(default=True, verbose_name="完整")),
                ("broken_seq", models.PositiveBigIntegerField(blank=True, null=True, verbose_name="断点序号")),
                ("broken_id", models.BigIntegerField(blank=True, null=True, verbose_name="断点记录编号")),
                ("broken_kind", models.CharField(blank=True, max_length=20, verbose_name="断点类型")),
                ("message", models.TextField(blank=True, verbose_name="结论")),
                ("seconds", models.FloatField(default=0, verbose_name="用时（秒）")),
            ],
            options={"verbose_name": "留痕校验", "verbose_name_plural": "留痕校验", "ordering": ["-at", "-id"]},
        ),
        # First drop the foreign key: deleting an account must not rewrite its audit rows.
        migrations.AlterField(
            model_name="auditevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                to=settings.AUTH_USER_MODEL,
                verbose_name="操作人",
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveBigIntegerField(null=True, verbose_name="序号"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(default="", max_length=64, verbose_name="前一条哈希"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(default="", max_length=64, verbose_name="哈希"),
            preserve_default=False,
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveBigIntegerField(unique=True, verbose_name="序号"),
        ),
    ]
