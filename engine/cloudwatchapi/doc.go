// Package cloudwatchapi is the wire layer of a CloudWatch API on Shardlab's port: ListMetrics,
// GetMetricStatistics, GetMetricData, PutMetricData, PutMetricAlarm, DescribeAlarms, DeleteAlarms and
// SetAlarmState, decoded into typed inputs (types.go, actions.go) for a Backend and answered in the protocol the
// call came in. It knows nothing of the engine: the Backend does the work and the validation beyond required
// members.
//
// CloudWatch's model (service GraniteServiceVersion20100801, API version 2010-08-01) lists three protocols,
// rpcv2Cbor, awsJson1_0 and awsQuery, and is query-compatible. What current clients send, captured from each
// (testdata/capture/):
//
//	client                                   protocol        request
//	boto3 1.43 (botocore 1.43)               AWS JSON 1.0    POST /, Content-Type application/x-amz-json-1.0,
//	AWS CLI v1 1.45 (botocore 1.43)          AWS JSON 1.0      X-Amz-Target GraniteServiceVersion20100801.<Op>,
//	JS SDK v3 @aws-sdk/client-cloudwatch     AWS JSON 1.0      x-amzn-query-mode: true; timestamps epoch seconds
//	  3.1178                                                   (fractional when they have milliseconds)
//	aws-sdk-go-v2 service/cloudwatch 1.76    RPC v2 CBOR     POST /service/GraniteServiceVersion20100801/operation/<Op>,
//	                                                           Smithy-Protocol: rpc-v2-cbor, Content-Type and Accept
//	                                                           application/cbor, X-Amzn-Query-Mode: true; timestamps
//	                                                           tag 1 (float seconds); indefinite-length maps
//	older SDKs (botocore before JSON, Go      AWS Query       POST /, application/x-www-form-urlencoded,
//	  v1, Java v1), and the Go client with                     Action=<Op>&Version=2010-08-01, lists as
//	  Options.Protocol = awsquery.New                          Name.member.N, timestamps ISO 8601
//
// botocore prefers json over smithy-rpc-v2-cbor when a model lists both, so boto3 and the CLI v1 send JSON; the
// CLI v2 (not installed where this was written) is botocore too. PutMetricData bodies may come gzip-compressed
// (Content-Encoding: gzip): the Go client compresses them whatever their size, boto3 and the JS SDK from 10 KiB.
// Every client signs with SigV4 for the service "monitoring".
//
// Answers: Query gets <OpResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><OpResult>…
// <ResponseMetadata><RequestId>… with ISO 8601 timestamps, lists as <member>, maps as <entry><key><value>, and
// errors as <ErrorResponse><Error><Type>Sender</Type><Code>…. JSON gets application/x-amz-json-1.0 with epoch-second
// timestamps; CBOR gets application/cbor with Smithy-Protocol: rpc-v2-cbor and tag 1 timestamps. A JSON or CBOR
// error carries {"__type": "com.amazonaws.cloudwatch#<shape>", "message": …} and the header
// x-amzn-query-error: <Code>;Sender, from which the query-compatible SDKs report the Query code (boto3 and the JS
// and Go clients all say InvalidParameterValue, not InvalidParameterValueException).
//
// Caveats:
//   - A Query call is recognized by its SigV4 scope (…/monitoring/aws4_request); an unsigned form POST is left to
//     whoever else serves the port.
//   - A member of the wrong kind, or a body that does not parse, is InvalidParameterValue naming the member
//     (MetricData.member.2.Value, in Query's spelling whatever the protocol); AWS's JSON front end may word these
//     as a SerializationException instead. Unknown members are ignored.
//   - An unknown operation is InvalidAction over Query, and UnknownOperationException (with InvalidAction in
//     x-amzn-query-error) over JSON and CBOR.
//   - DescribeAlarms answers metric alarms only: composite alarms are not modelled, nor is PutMetricData's entity
//     data.
//   - Sub-millisecond digits of incoming timestamps are dropped.
package cloudwatchapi
