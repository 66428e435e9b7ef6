package engine

import (
	"strings"
	"testing"
	"time"
)

func TestEnhancedMonitoring(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "m", 1)
	out, err := e.EnableEnhancedMonitoring(ctx, ref("m"), []string{"IncomingBytes", "OutgoingRecords"})
	if err != nil || len(out.CurrentShardLevelMetrics) != 0 || strings.Join(out.DesiredShardLevelMetrics, ",") != "IncomingBytes,OutgoingRecords" {
		t.Fatalf("enable: %+v, %v", out, err)
	}
	out, _ = e.EnableEnhancedMonitoring(ctx, ref("m"), []string{"ALL"})
	if len(out.DesiredShardLevelMetrics) != 7 {
		t.Fatalf("ALL enabled %v", out.DesiredShardLevelMetrics)
	}
	out, _ = e.DisableEnhancedMonitoring(ctx, ref("m"), []string{"IncomingBytes"})
	d, _ := e.DescribeStream(ctx, DescribeStreamInput{StreamRef: ref("m")})
	if len(d.EnhancedMonitoring) != 6 || d.EnhancedMonitoring[0] != "IncomingRecords" || len(out.CurrentShardLevelMetrics) != 7 {
		t.Fatalf("after disabling one: %v (current %v)", d.EnhancedMonitoring, out.CurrentShardLevelMetrics)
	}
	_, err = e.EnableEnhancedMonitoring(ctx, ref("m"), []string{"Latency"})
	wantCode(t, err, ErrValidation)
}

func TestResourceTagsAndPolicies(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	mustCreate(t, e, "r", 1)
	arn := "arn:aws:kinesis:us-east-1:000000000000:stream/r"
	if err := e.TagResource(ctx, arn, map[string]string{"env": "dev"}); err != nil {
		t.Fatal(err)
	}
	tags, err := e.ListTagsForResource(ctx, arn)
	if err != nil || len(tags) != 1 || tags[0] != (Tag{"env", "dev"}) {
		t.Fatalf("tags %+v, %v", tags, err)
	}
	if err := e.UntagResource(ctx, arn, []string{"env"}); err != nil {
		t.Fatal(err)
	}
	if tags, _ := e.ListTagsForResource(ctx, arn); len(tags) != 0 {
		t.Fatalf("after untag: %+v", tags)
	}
	wantCode(t, e.TagResource(ctx, "arn:aws:kinesis:us-east-1:000000000000:stream/none", map[string]string{"a": "b"}), ErrResourceNotFound)
	wantCode(t, e.TagResource(ctx, "not-an-arn", map[string]string{"a": "b"}), ErrInvalidArgument)

	if p, err := e.GetResourcePolicy(ctx, arn); err != nil || p != "" {
		t.Fatalf("no policy yet: %q, %v", p, err)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kinesis:GetRecords","Resource":"` + arn + `"}]}`
	if err := e.PutResourcePolicy(ctx, arn, policy); err != nil {
		t.Fatal(err)
	}
	if p, _ := e.GetResourcePolicy(ctx, arn); p != policy {
		t.Fatalf("policy read back as %q", p)
	}
	wantCode(t, e.PutResourcePolicy(ctx, arn, "{not json"), ErrInvalidArgument)
	if err := e.DeleteResourcePolicy(ctx, arn); err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.DeleteResourcePolicy(ctx, arn), ErrResourceNotFound)
}

func TestAccountSettings(t *testing.T) {
	clock := newFakeClock()
	e := openTest(t, Options{InMemory: true, Clock: clock.Now})
	c, err := e.DescribeAccountSettings(ctx)
	if err != nil || c.Status != CommitmentDisabled {
		t.Fatalf("initial %+v, %v", c, err)
	}
	c, _ = e.UpdateAccountSettings(ctx, CommitmentEnabled)
	if c.Status != CommitmentEnabled || !c.EarliestAllowedEndAt.Equal(clock.Now().Add(24*time.Hour)) {
		t.Fatalf("enabled %+v", c)
	}
	c, _ = e.UpdateAccountSettings(ctx, CommitmentDisabled)
	if c.Status != CommitmentEnabledUntilEarliest {
		t.Fatalf("disabling within 24 h: %+v", c)
	}
	clock.Add(25 * time.Hour)
	c, _ = e.DescribeAccountSettings(ctx)
	if c.Status != CommitmentDisabled || c.EndedAt.IsZero() {
		t.Fatalf("after the earliest end: %+v", c)
	}
	other := WithScope(ctx, Scope{Account: "222222222222", Region: "eu-west-1"})
	if c, _ := e.DescribeAccountSettings(other); c.Status != CommitmentDisabled || !c.StartedAt.IsZero() {
		t.Fatalf("another account sees %+v", c)
	}
	_, err = e.UpdateAccountSettings(ctx, "MAYBE")
	wantCode(t, err, ErrValidation)
}

func TestWarmThroughput(t *testing.T) {
	e := openTest(t, Options{InMemory: true})
	if err := e.CreateStream(ctx, CreateStreamInput{StreamName: "od", StreamMode: ModeOnDemand}); err != nil {
		t.Fatal(err)
	}
	w, err := e.UpdateStreamWarmThroughput(ctx, ref("od"), 10)
	if err != nil || w.TargetMiBps != 10 || w.CurrentMiBps != 8 { // one call at most doubles the 4 shards
		t.Fatalf("warm throughput %+v, %v", w, err)
	}
	w, _ = e.UpdateStreamWarmThroughput(ctx, ref("od"), 10)
	sum, _ := e.DescribeStreamSummary(ctx, ref("od"))
	if w.CurrentMiBps != 10 || sum.OpenShardCount != 10 || sum.WarmThroughput == nil || sum.WarmThroughput.TargetMiBps != 10 {
		t.Fatalf("summary %+v", sum)
	}
	mustCreate(t, e, "prov", 1)
	_, err = e.UpdateStreamWarmThroughput(ctx, ref("prov"), 5)
	wantCode(t, err, ErrInvalidArgument)
}
