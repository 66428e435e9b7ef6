// Package metrics is the Metrics screen: CloudWatch's view of Shardlab — pick a namespace, a metric, its
// dimensions, a statistic and a period, graph several at once over a time range (following live), and the alarms
// with their state and history; an alarm can be made from a graph's line. It shows engine/cloudwatch's Service.
package metrics

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/shardlab/shardlab/engine/cloudwatch"
	"github.com/shardlab/shardlab/views/ui"
	"github.com/shardlab/shardlab/views/widgets"
)

// line is one metric drawn on the graph.
type line struct {
	metric cloudwatch.Metric
	stat   string
	period int
}

func (l line) name() string {
	var dims []string
	for _, d := range l.metric.Dimensions {
		dims = append(dims, d.Value)
	}
	return fmt.Sprintf("%s %s (%s, %s)", l.metric.MetricName, strings.Join(dims, "/"), l.stat, periodText(l.period))
}

var (
	statChoices   = []string{"Sum", "Average", "Maximum", "Minimum", "SampleCount", "p50", "p90", "p99"}
	periodChoices = []int{1, 10, 60, 300}
	rangeChoices  = []struct {
		text string
		d    time.Duration
	}{{"last 5 minutes", 5 * time.Minute}, {"last 15 minutes", 15 * time.Minute}, {"last hour", time.Hour},
		{"last 3 hours", 3 * time.Hour}, {"last day", 24 * time.Hour}, {"last week", 7 * 24 * time.Hour}}
)

func periodText(p int) string {
	if p < 60 {
		return fmt.Sprintf("%d s", p)
	}
	return fmt.Sprintf("%d min", p/60)
}

// Screen is the Metrics screen.
type Screen struct {
	env ui.Env
	win fyne.Window

	all        []cloudwatch.Metric
	namespace  *widget.Select
	metricName *widget.Select
	dims       *widget.Select
	stat       *widget.Select
	period     *widget.Select
	window     *widget.Select
	follow     *widget.Check
	chart      *widgets.SeriesChart
	lines      []line
	lineList   *fyne.Container
	note       *widget.Label
	alarms     *alarmsView
	stop       func()
	root       fyne.CanvasObject
}

// New builds the screen over env.Metrics.
func New(env ui.Env, win fyne.Window) *Screen {
	s := &Screen{env: env, win: win}
	s.namespace = widget.NewSelect(nil, func(string) { s.offerMetrics() })
	s.metricName = widget.NewSelect(nil, func(string) { s.offerDims() })
	s.dims = widget.NewSelect(nil, nil)
	s.stat = widget.NewSelect(statChoices, nil)
	s.stat.SetSelected("Sum")
	var periods []string
	for _, p := range periodChoices {
		periods = append(periods, periodText(p))
	}
	s.period = widget.NewSelect(periods, nil)
	s.period.SetSelected("1 min")
	var ranges []string
	for _, r := range rangeChoices {
		ranges = append(ranges, r.text)
	}
	s.window = widget.NewSelect(ranges, func(string) { s.redraw() })
	s.window.SetSelected("last 15 minutes")
	s.follow = widget.NewCheck("Follow live", nil)
	s.follow.SetChecked(true)
	s.chart = widgets.NewSeriesChart()
	s.lineList = container.NewVBox()
	s.note = widget.NewLabel("Pick a metric and add it to the graph. Shard-level metrics appear once enhanced monitoring is on for them (a stream's Settings tab).")
	s.note.Wrapping = fyne.TextWrapWord
	add := widget.NewButtonWithIcon("Add to graph", theme.ContentAddIcon(), s.addLine)
	add.Importance = widget.HighImportance
	form := container.NewGridWithColumns(3,
		labelled("Namespace", s.namespace), labelled("Metric", s.metricName), labelled("Dimensions", s.dims),
		labelled("Statistic", s.stat), labelled("Period", s.period), labelled("Range", s.window))
	top := container.NewVBox(form, container.NewHBox(add, s.follow), s.note)
	graph := container.NewBorder(top, s.lineList, nil, nil, s.chart) // the lines stay in view under the graph
	s.alarms = newAlarmsView(s)
	tabs := container.NewAppTabs(container.NewTabItemWithIcon("Graph", theme.InfoIcon(), graph),
		container.NewTabItemWithIcon("Alarms", theme.WarningIcon(), s.alarms.root))
	s.root = container.NewBorder(ui.Heading("Metrics"), nil, nil, nil, tabs)
	return s
}

func labelled(text string, o fyne.CanvasObject) fyne.CanvasObject {
	return container.NewBorder(nil, nil, widget.NewLabel(text), nil, o)
}

// Content implements ui.Screen.
func (s *Screen) Content() fyne.CanvasObject { return s.root }

// Start lists the metrics and follows the graph and the alarms.
func (s *Screen) Start() {
	s.refreshMetrics()
	s.stop = ui.Poll(2*time.Second, s.fetch, s.apply)
}

// Stop implements ui.Screen.
func (s *Screen) Stop() {
	if s.stop != nil {
		s.stop()
	}
}

func (s *Screen) refreshMetrics() {
	ui.Background(func() ([]cloudwatch.Metric, error) {
		return s.env.Metrics.ListMetrics(context.Background(), "", "", nil), nil
	}, func(all []cloudwatch.Metric, _ error) {
		s.all = all
		seen := map[string]bool{}
		var spaces []string
		for _, m := range all {
			if !seen[m.Namespace] {
				seen[m.Namespace] = true
				spaces = append(spaces, m.Namespace)
			}
		}
		sort.Strings(spaces)
		s.namespace.SetOptions(spaces)
		if s.namespace.Selected == "" && len(spaces) > 0 {
			s.namespace.SetSelected(spaces[0])
		}
		s.offerMetrics()
	})
}

func (s *Screen) offerMetrics() {
	seen := map[string]bool{}
	var names []string
	for _, m := range s.all {
		if m.Namespace == s.namespace.Selected && !seen[m.MetricName] {
			seen[m.MetricName] = true
			names = append(names, m.MetricName)
		}
	}
	sort.Strings(names)
	s.metricName.SetOptions(names)
	if !seen[s.metricName.Selected] && len(names) > 0 {
		first := names[0]
		if seen["IncomingRecords"] { // what a stream's traffic is, the metric most people look at first
			first = "IncomingRecords"
		}
		s.metricName.SetSelected(first)
	}
	s.offerDims()
}

func dimsText(ds []cloudwatch.Dimension) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, d.Name+"="+d.Value)
	}
	return strings.Join(parts, ", ")
}

func (s *Screen) offerDims() {
	var opts []string
	for _, m := range s.all {
		if m.Namespace == s.namespace.Selected && m.MetricName == s.metricName.Selected {
			opts = append(opts, dimsText(m.Dimensions))
		}
	}
	s.dims.SetOptions(opts)
	if len(opts) > 0 && !slices.Contains(opts, s.dims.Selected) {
		s.dims.SetSelected(opts[0])
	}
}

func (s *Screen) selected() (line, bool) {
	for _, m := range s.all {
		if m.Namespace == s.namespace.Selected && m.MetricName == s.metricName.Selected && dimsText(m.Dimensions) == s.dims.Selected {
			l := line{metric: m, stat: s.stat.Selected, period: 60}
			for _, p := range periodChoices {
				if periodText(p) == s.period.Selected {
					l.period = p
				}
			}
			return l, true
		}
	}
	return line{}, false
}

func (s *Screen) addLine() {
	l, ok := s.selected()
	if !ok {
		return
	}
	for _, have := range s.lines {
		if have.name() == l.name() {
			return
		}
	}
	s.lines = append(s.lines, l)
	s.showLines()
	s.redraw()
}

func (s *Screen) showLines() {
	s.lineList.Objects = nil
	for i, l := range s.lines {
		i, l := i, l
		remove := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() {
			s.lines = append(s.lines[:i:i], s.lines[i+1:]...)
			s.showLines()
			s.redraw()
		})
		alarm := widget.NewButtonWithIcon("Create alarm…", theme.WarningIcon(), func() { s.alarms.create(l) })
		s.lineList.Add(container.NewBorder(nil, nil, nil, container.NewHBox(alarm, remove), widget.NewLabel(l.name())))
	}
	s.lineList.Refresh()
}

func (s *Screen) span() time.Duration {
	for _, r := range rangeChoices {
		if r.text == s.window.Selected {
			return r.d
		}
	}
	return 15 * time.Minute
}

// drawn is one fetch's result: the lines' points, and the alarms.
type drawn struct {
	names  []string
	series map[string][]widgets.SeriesPoint
	alarms []cloudwatch.Alarm
	err    error
}

func (s *Screen) fetch() drawn {
	return s.fetchLines(s.lines, s.span())
}

func (s *Screen) fetchLines(lines []line, span time.Duration) drawn {
	d := drawn{series: map[string][]widgets.SeriesPoint{}}
	end := time.Now()
	for _, l := range lines {
		period := l.period
		// CloudWatch caps a call at 1,440 datapoints: a long range at a short period draws coarser.
		for int(span/time.Second)/period > 1440 {
			period = nextPeriod(period)
		}
		in := cloudwatch.StatisticsInput{Metric: l.metric, StartTime: end.Add(-span), EndTime: end, Period: period}
		if strings.HasPrefix(l.stat, "p") {
			in.Extended = []string{l.stat}
		} else {
			in.Statistics = []string{l.stat}
		}
		ds, err := s.env.Metrics.Statistics(context.Background(), in)
		if err != nil {
			d.err = err
			continue
		}
		name := l.name()
		d.names = append(d.names, name)
		for _, p := range ds {
			v := p.Sum
			switch l.stat {
			case "Average":
				v = p.Average
			case "Maximum":
				v = p.Maximum
			case "Minimum":
				v = p.Minimum
			case "SampleCount":
				v = p.SampleCount
			case "Sum":
			default:
				v = p.Extended[l.stat]
			}
			d.series[name] = append(d.series[name], widgets.SeriesPoint{T: p.Timestamp, V: v})
		}
		sort.Slice(d.series[name], func(i, j int) bool { return d.series[name][i].T.Before(d.series[name][j].T) })
	}
	d.alarms = s.env.Metrics.DescribeAlarms(cloudwatch.AlarmFilter{})
	return d
}

func nextPeriod(p int) int {
	switch {
	case p < 10:
		return 10
	case p < 60:
		return 60
	case p < 300:
		return 300
	}
	return p * 2
}

func (s *Screen) apply(d drawn) {
	if s.follow.Checked {
		s.draw(d)
	}
	s.alarms.show(d.alarms)
}

func (s *Screen) draw(d drawn) {
	title := fmt.Sprintf("%s, %s", ui.Plural(len(d.names), "metric"), s.window.Selected)
	s.chart.SetSeries(title, d.names, d.series)
	if d.err != nil {
		ui.SetText(s.note, d.err.Error())
	}
}

// redraw fetches at once (a line added, the range changed) rather than at the next poll.
func (s *Screen) redraw() {
	if s.chart == nil {
		return
	}
	lines, span := append([]line(nil), s.lines...), s.span()
	ui.Background(func() (drawn, error) { return s.fetchLines(lines, span), nil }, func(d drawn, _ error) { s.draw(d) })
}
