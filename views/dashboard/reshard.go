package dashboard

import (
	"context"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine"
	"github.com/shardlab/shardlab/internal/hashkey"
	"github.com/shardlab/shardlab/views/ui"
)

// reshardBar holds the resharding actions on the selected shard and the stream: split at the midpoint or at the
// hottest key, merge with the next shard in key order, scale uniformly. Generators keep running throughout.
type reshardBar struct {
	d        *Dashboard
	label    *widget.Label
	splitMid *widget.Button
	splitHot *widget.Button
	merge    *widget.Button
	target   *widget.Entry
	scale    *widget.Button
	closed   *widget.Check
	busy     bool
}

func newReshardBar(d *Dashboard) *reshardBar {
	b := &reshardBar{d: d, label: widget.NewLabel("No shard selected"), target: widget.NewEntry()}
	b.splitMid = widget.NewButton("Split at midpoint", func() { b.split(false) })
	b.splitHot = widget.NewButton("Split at hot key", func() { b.split(true) })
	b.merge = widget.NewButton("Merge with next", b.mergeNext)
	b.target.SetPlaceHolder("shards")
	b.target.Validator = ui.IntInRange(1, 500, "target shard count")
	b.target.OnChanged = func(string) { b.update() }
	b.scale = widget.NewButton("Scale", b.scaleTo)
	b.closed = widget.NewCheck("Show closed shards", func(on bool) { d.keyMap.ShowClosed(on) })
	return b
}

func (b *reshardBar) content() fyne.CanvasObject {
	target := container.NewGridWrap(fyne.NewSize(ui.Scaled(110), b.target.MinSize().Height), b.target)
	// Wraps onto a second line in a narrow window rather than widening it.
	return ui.NewFlow(b.label, b.splitMid, b.splitHot, b.merge, target, b.scale, b.closed)
}

// update enables what makes sense for the selection and the stream's state.
func (b *reshardBar) update() {
	r := b.d.row(b.d.selected)
	active := b.d.model != nil && b.d.model.Summary != nil && b.d.model.Summary.StreamStatus == "ACTIVE" && !b.busy
	set := func(btn *widget.Button, on bool) {
		if on {
			btn.Enable()
		} else {
			btn.Disable()
		}
	}
	if r == nil || !r.Open {
		ui.SetText(b.label, "Select a shard on the map:")
		set(b.splitMid, false)
		set(b.splitHot, false)
		set(b.merge, false)
	} else {
		ui.SetText(b.label, "Shard "+r.Number+":")
		set(b.splitMid, active)
		_, hotOK := hotKeySplit(*r)
		set(b.splitHot, active && hotOK)
		set(b.merge, active && b.next(r) != nil)
	}
	set(b.scale, active && b.target.Validate() == nil)
}

// next is the open shard whose range starts right after r's.
func (b *reshardBar) next(r *shardRow) *shardRow {
	for i := range b.d.model.Rows {
		o := &b.d.model.Rows[i]
		if o.Open && r.KeyRange.Adjacent(o.KeyRange) {
			return o
		}
	}
	return nil
}

func (b *reshardBar) split(atHotKey bool) {
	r := b.d.row(b.d.selected)
	if r == nil {
		return
	}
	at := r.KeyRange.Mid()
	if atHotKey {
		hot, ok := hotKeySplit(*r)
		if !ok {
			return
		}
		at = hot
	}
	in := engine.SplitShardInput{StreamRef: b.d.ref, ShardToSplit: r.ID, NewStartingHashKey: at.String()}
	b.run("Split shard "+r.Number, func(ctx context.Context) error { return b.d.env.Engine.SplitShard(ctx, in) })
}

func (b *reshardBar) mergeNext() {
	r := b.d.row(b.d.selected)
	if r == nil {
		return
	}
	n := b.next(r)
	if n == nil {
		return
	}
	in := engine.MergeShardsInput{StreamRef: b.d.ref, ShardToMerge: r.ID, AdjacentShardToMerge: n.ID}
	b.run("Merge shards "+r.Number+" and "+n.Number, func(ctx context.Context) error { return b.d.env.Engine.MergeShards(ctx, in) })
}

func (b *reshardBar) scaleTo() {
	if err := b.target.Validate(); err != nil {
		ui.ShowError("Scale "+b.d.stream, err, b.d.win)
		return
	}
	n, _ := strconv.Atoi(strings.TrimSpace(b.target.Text))
	in := engine.UpdateShardCountInput{StreamRef: b.d.ref, TargetShardCount: n, ScalingType: "UNIFORM_SCALING"}
	b.run("Scale "+b.d.stream+" to "+strconv.Itoa(n)+" shards", func(ctx context.Context) error {
		_, err := b.d.env.Engine.UpdateShardCount(ctx, in)
		return err
	})
}

func (b *reshardBar) run(what string, call func(context.Context) error) {
	b.busy = true
	b.update()
	ui.Background(func() (struct{}, error) { return struct{}{}, call(context.Background()) }, func(_ struct{}, err error) {
		b.busy = false
		if err != nil {
			ui.ShowError(what, err, b.d.win)
		}
		b.d.selectShard("")
		b.d.table.UnselectAll()
	})
}

// hotKeySplit is where "split at hot key" cuts r (see engine.HotKeySplitPoint); false without a hot key.
func hotKeySplit(r shardRow) (hashkey.Key, bool) {
	if r.Hottest == nil {
		return hashkey.Key{}, false
	}
	return engine.HotKeySplitPoint(r.KeyRange, *r.Hottest)
}
