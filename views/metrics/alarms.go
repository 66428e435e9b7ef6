package metrics

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine/cloudwatch"
	"github.com/shardlab/shardlab/views/ui"
)

// alarmsView lists the alarms with their state, and shows the selected one's reason and history.
type alarmsView struct {
	s        *Screen
	alarms   []cloudwatch.Alarm
	selected int
	table    *widget.Table
	detail   *widget.Label
	remove   *widget.Button
	root     fyne.CanvasObject
}

var alarmColumns = []ui.Column{{Title: "Alarm", Width: 200}, {Title: "State", Width: 150}, {Title: "Metric", Width: 330}, {Title: "Condition", Width: 260}}

func newAlarmsView(s *Screen) *alarmsView {
	a := &alarmsView{s: s, selected: -1}
	cols := make([]ui.Column, len(alarmColumns))
	for i, c := range alarmColumns {
		cols[i] = ui.Column{Title: c.Title, Width: ui.Scaled(c.Width)}
	}
	a.table = ui.NewColumnTable(cols, func() int { return len(a.alarms) }, a.cell)
	a.table.OnSelected = func(id widget.TableCellID) { a.selected = id.Row; a.explain() }
	a.detail = widget.NewLabel("Alarms are made with PutMetricAlarm (aws cloudwatch put-metric-alarm) or from a graph's line; they are evaluated every 10 seconds.")
	a.detail.Wrapping = fyne.TextWrapWord
	a.remove = widget.NewButtonWithIcon("Delete alarm", theme.DeleteIcon(), func() {
		if a.selected < 0 || a.selected >= len(a.alarms) {
			return
		}
		name := a.alarms[a.selected].AlarmName
		ui.Background(func() (struct{}, error) {
			return struct{}{}, s.env.Metrics.DeleteAlarms(context.Background(), []string{name})
		},
			func(_ struct{}, err error) {
				if err != nil {
					ui.ShowError("Delete alarm", err, s.win)
				}
			})
	})
	a.remove.Disable()
	split := container.NewVSplit(a.table, container.NewBorder(nil, container.NewHBox(a.remove), nil, nil, container.NewVScroll(a.detail)))
	split.Offset = 0.5
	a.root = split
	return a
}

func condition(al cloudwatch.Alarm) string {
	stat := al.Statistic
	if stat == "" {
		stat = al.ExtendedStatistic
	}
	ops := map[string]string{"GreaterThanOrEqualToThreshold": ">=", "GreaterThanThreshold": ">", "LessThanThreshold": "<", "LessThanOrEqualToThreshold": "<="}
	return fmt.Sprintf("%s %s %g, %d of %d × %s", stat, ops[al.ComparisonOperator], al.Threshold, al.DatapointsToAlarm, al.EvaluationPeriods, periodText(al.Period))
}

func (a *alarmsView) cell(row, col int) string {
	al := a.alarms[row]
	switch col {
	case 0:
		return al.AlarmName
	case 1:
		return al.StateValue
	case 2:
		return al.Metric.MetricName + " " + dimsText(al.Metric.Dimensions)
	}
	return condition(al)
}

func (a *alarmsView) show(alarms []cloudwatch.Alarm) {
	changed := len(alarms) != len(a.alarms)
	for i := 0; !changed && i < len(alarms); i++ {
		changed = alarms[i].AlarmName != a.alarms[i].AlarmName || alarms[i].StateValue != a.alarms[i].StateValue ||
			alarms[i].StateReason != a.alarms[i].StateReason
	}
	a.alarms = alarms
	if changed {
		a.table.Refresh()
		a.explain()
	}
}

func (a *alarmsView) explain() {
	if a.selected < 0 || a.selected >= len(a.alarms) {
		a.remove.Disable()
		return
	}
	a.remove.Enable()
	al := a.alarms[a.selected]
	var b strings.Builder
	fmt.Fprintf(&b, "%s is %s since %s: %s\n%s on %s %s\n", al.AlarmName, al.StateValue,
		al.StateUpdatedTimestamp.Local().Format("15:04:05"), al.StateReason, condition(al), al.Metric.Namespace, al.Metric.MetricName)
	for i := len(al.History) - 1; i >= 0 && i >= len(al.History)-10; i-- {
		h := al.History[i]
		fmt.Fprintf(&b, "\n%s  %s", h.Timestamp.Local().Format("15:04:05"), h.Summary)
	}
	ui.SetText(a.detail, b.String())
}

// create asks for a threshold and makes an alarm on a graph's line.
func (a *alarmsView) create(l line) {
	name := widget.NewEntry()
	name.SetText(strings.ReplaceAll(strings.ToLower(l.metric.MetricName), ".", "-") + "-" + l.metric.Dimensions[len(l.metric.Dimensions)-1].Value)
	op := widget.NewSelect([]string{"GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"}, nil)
	op.SetSelected("GreaterThanOrEqualToThreshold")
	threshold := widget.NewEntry()
	threshold.SetText("1")
	threshold.Validator = func(s string) error {
		_, err := strconv.ParseFloat(s, 64)
		return err
	}
	periods := widget.NewEntry()
	periods.SetText("1")
	periods.Validator = ui.IntInRange(1, 100, "evaluation periods")
	period := max(l.period, 10)
	dialog.ShowForm("Alarm on "+l.name(), "Create", "Cancel", []*widget.FormItem{
		widget.NewFormItem("Name", name), widget.NewFormItem("When the statistic is", op),
		widget.NewFormItem("Threshold", threshold), widget.NewFormItem("For periods of "+periodText(period), periods),
	}, func(ok bool) {
		if !ok {
			return
		}
		t, _ := strconv.ParseFloat(threshold.Text, 64)
		n, _ := strconv.Atoi(periods.Text)
		al := cloudwatch.Alarm{AlarmName: strings.TrimSpace(name.Text), Metric: l.metric, Period: period, EvaluationPeriods: n,
			Threshold: t, ComparisonOperator: op.Selected}
		if strings.HasPrefix(l.stat, "p") {
			al.ExtendedStatistic = l.stat
		} else {
			al.Statistic = l.stat
		}
		ui.Background(func() (struct{}, error) { return struct{}{}, a.s.env.Metrics.PutMetricAlarm(context.Background(), al) },
			func(_ struct{}, err error) {
				if err != nil {
					ui.ShowError("Create alarm", err, a.s.win)
				}
			})
	}, a.s.win)
}
