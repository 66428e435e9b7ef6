package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/loadgen"
)

func TestInAppAPIServesAndSaysWhenItsPortIsTaken(t *testing.T) {
	eng, err := engine.Open(engine.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	api := startInAppAPI(eng, "127.0.0.1:0", nil, nil, nil, nil)
	defer api.stop()
	st := api.status()
	if !strings.HasPrefix(st.Endpoint, "http://127.0.0.1:") || st.Err != "" {
		t.Fatalf("status %+v", st)
	}
	taken := strings.TrimPrefix(st.Endpoint, "http://")
	second := startInAppAPI(eng, taken, nil, nil, nil, nil)
	defer second.stop()
	if st := second.status(); st.Endpoint != "" || !strings.Contains(st.Err, "in use") {
		t.Errorf("second server on a taken port: %+v", st)
	}
	if st := startInAppAPI(eng, "off", nil, nil, nil, nil).status(); st.Endpoint != "" || st.Err != "" {
		t.Errorf("--api off: %+v", st)
	}
	// The in-app server is the real API: a ListStreams call answers.
	req, _ := http.NewRequest("POST", st.Endpoint+"/", strings.NewReader("{}"))
	req.Header.Set("X-Amz-Target", "Kinesis_20131202.ListStreams")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "StreamNames") {
		t.Errorf("ListStreams: %d %s", resp.StatusCode, body)
	}
}

func TestFirstStartSeedsTheWorkshopOnce(t *testing.T) {
	dir := t.TempDir()
	eng, err := engine.Open(engine.Options{Path: databasePath(dir)})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if err := installSamples(dir); err != nil {
		t.Fatal(err)
	}
	gens, _ := loadgen.OpenManager(eng, dir)
	seeded, err := seedWorkspace(context.Background(), eng, gens, dir)
	if err != nil || !seeded {
		t.Fatalf("first start: seeded %v, err %v", seeded, err)
	}
	sum, err := eng.DescribeStreamSummary(context.Background(), engine.StreamRef{StreamName: sampleStream})
	if err != nil || sum.OpenShardCount != sampleShards {
		t.Fatalf("sample stream: %+v, %v", sum, err)
	}
	list := gens.List(sampleStream)
	if len(list) != 1 || list[0].Running || list[0].Config.SampleFile != filepath.Join("samples", sampleFile) {
		t.Fatalf("sample producer: %+v", list)
	}
	// The sample file it replays was copied out of the binary, so starting it works.
	if err := gens.Start(list[0].ID); err != nil {
		t.Fatal(err)
	}
	gens.StopAll()

	// A second start finds the workspace and leaves it alone, even after the sample stream was deleted.
	eng.DeleteStream(context.Background(), engine.DeleteStreamInput{StreamRef: engine.StreamRef{StreamName: sampleStream}})
	gens2, _ := loadgen.OpenManager(eng, dir)
	if seeded, err := seedWorkspace(context.Background(), eng, gens2, dir); seeded || err != nil {
		t.Errorf("second start seeded again (%v, %v)", seeded, err)
	}
}

// TestAnEarlierWorkspaceKeepsItsProducers: a data directory from a version that kept the producers in
// generators.json opens with them moved into the database, the file renamed, and no sample seeded beside them.
func TestAnEarlierWorkspaceKeepsItsProducers(t *testing.T) {
	dir := t.TempDir()
	legacy := filepath.Join(dir, loadgen.LegacyFile)
	if err := os.WriteFile(legacy, []byte(`{"version": 1, "generators": [{"name": "mine", "stream": "orders",
		"template": "iot", "rate": 9, "keys": {"kind": "uniform", "keys": 3}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for start := 1; start <= 2; start++ {
		eng, gens, seeded, err := openWorkspace(guiConfig{dataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		list := gens.List("")
		gens.StopAll()
		eng.Close()
		if seeded || len(list) != 1 || list[0].Config.Name != "mine" || list[0].Config.Rate != 9 {
			t.Fatalf("start %d: seeded %v, producers %+v", start, seeded, list)
		}
	}
	if _, err := os.Stat(legacy); !os.IsNotExist(err) {
		t.Errorf("%s still there: %v", legacy, err)
	}
}
