package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/loadgen"
	"github.com/shardlab/shardlab/engine/video"
	"github.com/shardlab/shardlab/samples"
)

// The sample workspace a first start creates: a 4-shard stream and a paused producer replaying the clickstream
// sample with one hot user, sized so that one shard runs over its limit and the other three stay cool — the
// workshop's opening picture, one click away.
const (
	sampleStream     = "clickstream"
	sampleShards     = 4
	sampleFile       = "clickstream-events.ndjson"
	sampleRate       = 2400
	sampleHotShare   = 0.35
	sampleKeys       = 300
	sampleProducerID = "clickstream sample"
)

// The workspace's own mark in the engine's database: set once the first start has seeded it, so a workspace whose
// sample stream and producer were deleted stays as its user left it.
const (
	workspaceNamespace = "workspace"
	seededKey          = "seeded"
)

// legacyGenerators reports whether an earlier version used the data directory: it kept its producers in a
// generators.json, since moved into the database and renamed.
func legacyGenerators(dir string) bool {
	for _, name := range []string{loadgen.LegacyFile, loadgen.LegacyFile + loadgen.ImportedSuffix} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}

// samplesDir is where the sample files are copied for the load generator.
func samplesDir(dir string) string { return filepath.Join(dir, "samples") }

// installSamples copies the embedded sample files into the data directory, leaving files already there alone.
func installSamples(dir string) error {
	dst := samplesDir(dir)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("samples: %w", err)
	}
	return fs.WalkDir(samples.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		target := filepath.Join(dst, path)
		if _, err := os.Stat(target); err == nil {
			return nil
		}
		b, err := samples.FS.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

// seedWorkspace creates the sample stream and producer the first time the app runs on a data directory, and
// reports whether it did. A stream of that name that already exists (made through the API, say) is kept as it is.
func seedWorkspace(ctx context.Context, eng *engine.Engine, gens *loadgen.Manager, dir string) (bool, error) {
	marks, err := eng.Checkpoints(ctx, workspaceNamespace)
	if err != nil {
		return false, err
	}
	mark := func() error {
		return eng.PutCheckpoint(ctx, engine.Checkpoint{Namespace: workspaceNamespace, Key: seededKey, Value: []byte(time.Now().UTC().Format(time.RFC3339))})
	}
	if marks[seededKey] != nil {
		return false, nil
	}
	if legacyGenerators(dir) {
		return false, mark()
	}
	n := sampleShards
	err = eng.CreateStream(ctx, engine.CreateStreamInput{StreamName: sampleStream, ShardCount: &n})
	if err != nil && engine.ErrorCode(err) != engine.ErrResourceInUse {
		return false, fmt.Errorf("sample workspace: %w", err)
	}
	_, err = gens.Add(loadgen.Config{Name: sampleProducerID, Stream: sampleStream, Template: loadgen.SampleFile,
		SampleFile: filepath.Join("samples", sampleFile), Rate: sampleRate, // relative to the data directory
		Keys: loadgen.KeyDistribution{Kind: loadgen.HotKey, Keys: sampleKeys, HotShare: sampleHotShare}})
	if err != nil {
		return false, fmt.Errorf("sample workspace: %w", err)
	}
	return true, mark()
}

// sampleVideo is the first start's video stream: the sample clip, ready to play.
const sampleVideo = "testpattern"

// seedVideo makes the sample video stream and imports the sample clip into it. It is a convenience: a failure
// leaves the Video screen empty, which says how to make one, so it is not fatal.
func seedVideo(store *video.Store) {
	clip, err := samples.FS.ReadFile("testpattern.ts")
	if err != nil {
		return
	}
	if _, err := store.CreateStream(video.CreateInput{Name: sampleVideo, MediaType: "video/h264", RetentionHours: 24}); err != nil {
		return
	}
	_ = store.Ingest(context.Background(), sampleVideo, bytes.NewReader(clip), time.Now().Add(-10*time.Second), func(video.Ack) {})
}
