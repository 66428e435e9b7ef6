"""boto3 against the CloudWatch handler: python3 boto3_e2e.py URL PROTOCOL MODELDIR.

PROTOCOL is json (what boto3 1.43 sends), query or cbor; for the last two the service model is copied into
MODELDIR with its protocols set to that one alone, so botocore's own Query or CBOR serializer and parser run."""
import datetime
import gzip
import json
import os
import sys

import boto3
import botocore
import botocore.session
from botocore.config import Config

url, protocol, model_dir = sys.argv[1], sys.argv[2], sys.argv[3]
session = botocore.session.get_session()
if protocol != "json":
    wire = {"query": "query", "cbor": "smithy-rpc-v2-cbor"}[protocol]
    src = os.path.join(os.path.dirname(botocore.__file__), "data", "cloudwatch", "2010-08-01", "service-2.json.gz")
    model = json.loads(gzip.open(src).read())
    model["metadata"]["protocol"], model["metadata"]["protocols"] = wire, [wire]
    os.makedirs(os.path.join(model_dir, "cloudwatch", "2010-08-01"), exist_ok=True)
    with open(os.path.join(model_dir, "cloudwatch", "2010-08-01", "service-2.json"), "w") as f:
        json.dump(model, f)
    session.get_component("data_loader").search_paths.insert(0, model_dir)
c = boto3.Session(botocore_session=session).client(
    "cloudwatch", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
    config=Config(retries={"max_attempts": 1, "mode": "standard"}))

t0 = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
t1 = t0 + datetime.timedelta(hours=1)
dims = [{"Name": "StreamName", "Value": "clickstream"}]


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)


m = c.list_metrics(Namespace="AWS/Kinesis")["Metrics"]
check(len(m) == 2 and m[1]["MetricName"] == "IncomingBytes" and m[1]["Dimensions"][1]["Value"] == "shardId-000000000001", m)

s = c.get_metric_statistics(Namespace="AWS/Kinesis", MetricName="IncomingBytes", Dimensions=dims, StartTime=t0, EndTime=t1,
                            Period=60, Statistics=["Sum", "Minimum"], ExtendedStatistics=["p50", "p90", "p99"])
check(s["Label"] == "IncomingBytes" and len(s["Datapoints"]) == 2, s)
d = s["Datapoints"][1]
check(d["Timestamp"] == t0 + datetime.timedelta(minutes=1) and d["Sum"] == 20 and d["Minimum"] == 0 and "Maximum" not in d, d)
check(d["ExtendedStatistics"] == {"p50": 51, "p90": 91, "p99": 100} and d["Unit"] == "Count", d)

q = [{"Id": "m1", "MetricStat": {"Metric": {"Namespace": "AWS/Kinesis", "MetricName": "IncomingRecords", "Dimensions": dims},
                                 "Period": 60, "Stat": "Sum"}, "Label": "in"},
     {"Id": "e1", "Expression": "m1/60", "Label": "per second"}]
g = c.get_metric_data(MetricDataQueries=q, StartTime=t0, EndTime=t1)
r = g["MetricDataResults"]
check(len(r) == 1 and r[0]["Id"] == "m1" and r[0]["StatusCode"] == "Complete" and g["NextToken"] == "page2", g)
check(r[0]["Timestamps"] == [t0 + datetime.timedelta(minutes=1), t0] and r[0]["Values"] == [2.5, 1], r)
g = c.get_metric_data(MetricDataQueries=q, StartTime=t0, EndTime=t1, NextToken="page2")
check(g["MetricDataResults"][0]["Id"] == "e1" and "NextToken" not in g, g)

c.put_metric_data(Namespace="Shardlab/Test", MetricData=[
    {"MetricName": "Latency", "Dimensions": dims, "Timestamp": t0, "Value": 12.5, "Unit": "Milliseconds"},
    {"MetricName": "Latency", "Values": [1.0, 2.5], "Counts": [3.0, 1.0]}])

c.put_metric_alarm(AlarmName="hot-shard", MetricName="WriteProvisionedThroughputExceeded", Namespace="AWS/Kinesis",
                   Statistic="Sum", Dimensions=dims, Period=60, EvaluationPeriods=3, DatapointsToAlarm=2, Threshold=1.5,
                   ComparisonOperator="GreaterThanOrEqualToThreshold", AlarmActions=["arn:aws:sns:us-east-1:000000000000:a"])
c.set_alarm_state(AlarmName="hot-shard", StateValue="ALARM", StateReason="testing")
a = c.describe_alarms(AlarmNamePrefix="hot")["MetricAlarms"]
check(len(a) == 1 and a[0]["AlarmName"] == "hot-shard" and a[0]["StateValue"] == "ALARM" and a[0]["Threshold"] == 1.5, a)
check(a[0]["ActionsEnabled"] is True and a[0]["OKActions"] == [] and a[0]["StateUpdatedTimestamp"] == t0, a)

for call, kwargs, code in [
        (c.set_alarm_state, dict(AlarmName="nope", StateValue="OK", StateReason="x"), "ResourceNotFound"),
        (c.put_metric_data, dict(Namespace="AWS/Kinesis", MetricData=[{"MetricName": "x", "Value": 1}]), "InvalidParameterValue"),
        (c.get_metric_data, dict(MetricDataQueries=q, StartTime=t0, EndTime=t1, NextToken="bad"), "InvalidNextToken")]:
    try:
        call(**kwargs)
        check(False, "no error from %s" % call.__name__)
    except c.exceptions.ClientError as e:
        check(e.response["Error"]["Code"] == code, (code, e.response))
c.delete_alarms(AlarmNames=["hot-shard"])
check(c.describe_alarms()["MetricAlarms"] == [], "alarm deleted")
print("boto3 %s %s: ok" % (boto3.__version__, protocol))
