// The JavaScript SDK v3 against the CloudWatch handler: node sdk_e2e.mjs URL. The client speaks AWS JSON 1.0.
import assert from "node:assert/strict";
import {
  CloudWatchClient, ListMetricsCommand, GetMetricStatisticsCommand, GetMetricDataCommand, PutMetricDataCommand,
  PutMetricAlarmCommand, DescribeAlarmsCommand, DeleteAlarmsCommand, SetAlarmStateCommand,
} from "@aws-sdk/client-cloudwatch";

const c = new CloudWatchClient({ endpoint: process.argv[2], region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "test", secretAccessKey: "test" } });
const t0 = new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), t1 = new Date(t0.getTime() + 3600e3);
const dims = [{ Name: "StreamName", Value: "clickstream" }];

const lm = await c.send(new ListMetricsCommand({ Namespace: "AWS/Kinesis" }));
assert.equal(lm.Metrics.length, 2);
assert.equal(lm.Metrics[1].Dimensions[1].Value, "shardId-000000000001");

const gs = await c.send(new GetMetricStatisticsCommand({ Namespace: "AWS/Kinesis", MetricName: "IncomingBytes", Dimensions: dims,
  StartTime: t0, EndTime: t1, Period: 60, Statistics: ["Sum", "Minimum"], ExtendedStatistics: ["p50", "p90", "p99"] }));
assert.equal(gs.Label, "IncomingBytes");
const d = gs.Datapoints[1];
assert.equal(d.Timestamp.getTime(), t0.getTime() + 60e3);
assert.equal(d.Sum, 20);
assert.equal(d.Minimum, 0);
assert.equal(d.Maximum, undefined);
assert.deepEqual(d.ExtendedStatistics, { p50: 51, p90: 91, p99: 100 });

const q = [{ Id: "m1", MetricStat: { Metric: { Namespace: "AWS/Kinesis", MetricName: "IncomingRecords", Dimensions: dims }, Period: 60, Stat: "Sum" }, Label: "in" },
  { Id: "e1", Expression: "m1/60", Label: "per second" }];
let gd = await c.send(new GetMetricDataCommand({ MetricDataQueries: q, StartTime: t0, EndTime: t1 }));
assert.equal(gd.NextToken, "page2");
assert.equal(gd.MetricDataResults[0].Id, "m1");
assert.deepEqual(gd.MetricDataResults[0].Timestamps.map((t) => t.getTime()), [t0.getTime() + 60e3, t0.getTime()]);
assert.deepEqual(gd.MetricDataResults[0].Values, [2.5, 1]);
gd = await c.send(new GetMetricDataCommand({ MetricDataQueries: q, StartTime: t0, EndTime: t1, NextToken: gd.NextToken }));
assert.equal(gd.MetricDataResults[0].Id, "e1");
assert.equal(gd.NextToken, undefined);

await c.send(new PutMetricDataCommand({ Namespace: "Shardlab/Test", MetricData: [
  { MetricName: "Latency", Dimensions: dims, Timestamp: new Date(t0.getTime() + 250), Value: 12.5, Unit: "Milliseconds" }] }));

await c.send(new PutMetricAlarmCommand({ AlarmName: "hot-shard", MetricName: "WriteProvisionedThroughputExceeded", Namespace: "AWS/Kinesis",
  Statistic: "Sum", Dimensions: dims, Period: 60, EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 1.5,
  ComparisonOperator: "GreaterThanOrEqualToThreshold" }));
await c.send(new SetAlarmStateCommand({ AlarmName: "hot-shard", StateValue: "ALARM", StateReason: "testing" }));
const da = await c.send(new DescribeAlarmsCommand({ AlarmNamePrefix: "hot" }));
assert.equal(da.MetricAlarms.length, 1);
assert.equal(da.MetricAlarms[0].StateValue, "ALARM");
assert.equal(da.MetricAlarms[0].Threshold, 1.5);
assert.equal(da.MetricAlarms[0].StateUpdatedTimestamp.getTime(), t0.getTime());

for (const [cmd, name, code] of [
  [new SetAlarmStateCommand({ AlarmName: "nope", StateValue: "OK", StateReason: "x" }), "ResourceNotFound", "ResourceNotFound"],
  [new PutMetricDataCommand({ Namespace: "AWS/Kinesis", MetricData: [{ MetricName: "x", Value: 1 }] }), "InvalidParameterValueException", "InvalidParameterValue"],
  [new GetMetricDataCommand({ MetricDataQueries: q, StartTime: t0, EndTime: t1, NextToken: "bad" }), "InvalidNextToken", "InvalidNextToken"],
]) {
  await assert.rejects(c.send(cmd), (e) => {
    assert.equal(e.name, name);
    assert.equal(e.Code ?? code, code);
    return true;
  });
}
await c.send(new DeleteAlarmsCommand({ AlarmNames: ["hot-shard"] }));
console.log("JavaScript SDK v3 CloudWatch: ok");
