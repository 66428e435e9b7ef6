package lessons

import (
	"context"
	"path/filepath"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/engine/analytics"
	"github.com/shardlab/shardlab/engine/cloudwatch"
	"github.com/shardlab/shardlab/engine/delivery"
	"github.com/shardlab/shardlab/engine/iam"
	"github.com/shardlab/shardlab/engine/loadgen"
	"github.com/shardlab/shardlab/engine/video"
)

// Scratch opens a throwaway workspace in dir (an engine with every subsystem, limits on, as the app runs) for
// verifying lessons; close it when done. The engine is a file in dir rather than InMemory so that a delivery
// stream's relative folder lands in dir too.
func Scratch(dir string) (ws *Workspace, closeAll func(), err error) {
	eng, err := engine.Open(engine.Options{Path: filepath.Join(dir, "shardlab.db"), EnforceLimits: true})
	if err != nil {
		return nil, nil, err
	}
	ws = &Workspace{Engine: eng}
	closers := []func(){func() { eng.Close() }}
	closeAll = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	if ws.Generators, err = loadgen.OpenManager(eng, dir); err != nil {
		closeAll()
		return nil, nil, err
	}
	closers = append(closers, ws.Generators.StopAll)
	if ws.Deliveries, err = delivery.OpenManager(eng); err != nil {
		closeAll()
		return nil, nil, err
	}
	closers = append(closers, ws.Deliveries.Close)
	if ws.Analytics, err = analytics.OpenManager(eng); err != nil {
		closeAll()
		return nil, nil, err
	}
	closers = append(closers, ws.Analytics.Close)
	if ws.Video, err = video.Open(eng); err != nil {
		closeAll()
		return nil, nil, err
	}
	store, err := iam.OpenStore(context.Background(), eng, eng.DefaultScope().Account)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	ws.Access = &iam.Decider{Store: store, Eng: eng, Log: &iam.DecisionLog{}}
	if ws.Metrics, err = cloudwatch.Open(context.Background(), eng, nil); err != nil {
		closeAll()
		return nil, nil, err
	}
	closers = append(closers, ws.Metrics.Close)
	return ws, closeAll, nil
}
