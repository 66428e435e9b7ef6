package lessons

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shardlab/shardlab/engine/loadgen"
)

// Lesson is one lesson file: what it teaches, what it sets up, and its steps.
type Lesson struct {
	ID      string `yaml:"-"` // the file's name without .yaml
	Source  string `yaml:"-"` // "built in", or the file it was read from
	Title   string `yaml:"title,required"`
	Minutes int    `yaml:"minutes,required"`
	Teaches string `yaml:"teaches,required"`
	// Order places the built-in lessons in their teaching order; imported ones follow, by title.
	Order     int             `yaml:"order"`
	Streams   []StreamSetup   `yaml:"streams"`
	Producers []ProducerSetup `yaml:"producers"`
	// Setup runs after the streams and producers exist (pipelines, analytics applications, readers).
	Setup []Action `yaml:"setup"`
	Steps []Step   `yaml:"steps,required"`
}

// StreamSetup is a stream the lesson makes (and remakes on Reset), tagged as the lesson's.
type StreamSetup struct {
	Name   string `yaml:"name,required"`
	Shards int    `yaml:"shards,required"`
	// NoLimits turns Kinesis's per-shard limits off for the stream (they are on by default in a lesson).
	NoLimits bool `yaml:"no_limits"`
}

// ProducerSetup is one of the app's producers (Producers tab), made stopped; a step's action starts it.
type ProducerSetup struct {
	Name     string    `yaml:"name,required"`
	Stream   string    `yaml:"stream,required"`
	Template string    `yaml:"template,required"`
	Rate     int       `yaml:"rate,required"`
	Keys     KeysSetup `yaml:"keys,required"`
	Seed     uint64    `yaml:"seed,required"`
}

// KeysSetup is a producer's partition keys: uniform, zipf or hotkey over Count keys.
type KeysSetup struct {
	Kind     string  `yaml:"kind,required"`
	Count    int     `yaml:"count,required"`
	HotShare float64 `yaml:"hot_share"`
	Zipf     float64 `yaml:"zipf"`
}

// Step is one step: what to do and notice, the check that meets it, and the actions that do it.
type Step struct {
	Title string `yaml:"title,required"`
	// Screen is where the app shows the step: "<stream>/<tab>" (a tab of the stream's dashboard) or a page.
	Screen string   `yaml:"screen,required"`
	Do     string   `yaml:"do,required"`
	Notice string   `yaml:"notice,required"`
	Check  []Check  `yaml:"check,required"`
	ShowMe []Action `yaml:"show_me,required"`
	// Within is how long the Show-me path may take to meet the check (default 30 s); verify fails past it.
	Within time.Duration `yaml:"within"`
}

// DefaultWithin is a step's Within when the file gives none.
const DefaultWithin = 30 * time.Second

// Tabs and Pages are what a step's Screen may name.
var (
	Tabs  = []string{"Overview", "Shards", "Records", "Producers", "Consumers", "Faults"}
	Pages = []string{"Streams", "Delivery", "Analytics", "Video", "Metrics", "Files", "Access", "Settings"}
)

// ScreenTarget splits a step's Screen into a stream and a tab, or a page (stream empty).
func (s Step) ScreenTarget() (stream, tab, page string) {
	if st, tb, ok := strings.Cut(s.Screen, "/"); ok {
		return st, tb, ""
	}
	return "", "", s.Screen
}

// Parse reads a lesson file and checks it whole: every problem is reported at its line and column.
func Parse(id string, data []byte) (*Lesson, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, yamlError(err)
	}
	if len(doc.Content) == 0 {
		return nil, &PosError{Line: 1, Column: 1, Msg: "the file is empty; a lesson needs title, minutes, teaches and steps"}
	}
	root := doc.Content[0]
	l := &Lesson{ID: id}
	if err := decodeStrict(root, l); err != nil {
		return nil, err
	}
	if err := l.validate(root); err != nil {
		return nil, err
	}
	return l, nil
}

// yamlError turns yaml.v3's syntax error ("yaml: line 3: ...") into a PosError; the column is where the line
// starts, as the parser does not say more.
func yamlError(err error) error {
	msg := err.Error()
	var line int
	if _, scanErr := fmt.Sscanf(msg, "yaml: line %d:", &line); scanErr == nil {
		_, rest, _ := strings.Cut(msg, ": ")
		_, rest, _ = strings.Cut(rest, ": ")
		return &PosError{Line: line, Column: 1, Msg: rest}
	}
	return &PosError{Line: 1, Column: 1, Msg: strings.TrimPrefix(msg, "yaml: ")}
}

// field returns the value node of key in mapping n (nil when absent).
func field(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// validate checks what the types cannot: ranges, names that must refer to something, screens.
func (l *Lesson) validate(root *yaml.Node) error {
	at := func(key string) *yaml.Node {
		if n := field(root, key); n != nil {
			return n
		}
		return root
	}
	if l.Minutes < 1 || l.Minutes > 120 {
		return errAt(at("minutes"), "minutes %d: a lesson takes 1 to 120 minutes", l.Minutes)
	}
	if len(l.Steps) == 0 {
		return errAt(at("steps"), "a lesson needs at least one step")
	}
	streams := map[string]bool{}
	for i, s := range l.Streams {
		n := at("streams").Content[i]
		if !strings.HasPrefix(s.Name, "lesson-") {
			return errAt(field(n, "name"), "stream %q: a lesson's streams are named lesson-…, so they never clash with yours", s.Name)
		}
		if streams[s.Name] {
			return errAt(field(n, "name"), "stream %q is set up twice", s.Name)
		}
		if s.Shards < 1 || s.Shards > 64 {
			return errAt(field(n, "shards"), "shards %d: a lesson's stream has 1 to 64 shards", s.Shards)
		}
		streams[s.Name] = true
	}
	names := names{streams: streams, producers: map[string]bool{}}
	for i, p := range l.Producers {
		n := at("producers").Content[i]
		if !streams[p.Stream] {
			return errAt(field(n, "stream"), "stream %q is not one of the lesson's streams", p.Stream)
		}
		if names.producers[p.Name] {
			return errAt(field(n, "name"), "producer %q is set up twice", p.Name)
		}
		if err := p.config().Validate(); err != nil {
			return errAt(n, "producer %s: %v", p.Name, err)
		}
		names.producers[p.Name] = true
	}
	for i := range l.Setup {
		if err := l.Setup[i].validate(&names); err != nil {
			return errAt(at("setup").Content[i], "%v", err)
		}
	}
	for i, s := range l.Steps {
		n := at("steps").Content[i]
		st, tab, page := s.ScreenTarget()
		switch {
		case st != "" && !streams[st]:
			return errAt(field(n, "screen"), "screen %q: %q is not one of the lesson's streams", s.Screen, st)
		case st != "" && !slices.Contains(Tabs, tab):
			return errAt(field(n, "screen"), "screen %q: the tab is one of %s", s.Screen, strings.Join(Tabs, ", "))
		case st == "" && !slices.Contains(Pages, page):
			return errAt(field(n, "screen"), "screen %q: give <stream>/<tab> or one of %s", s.Screen, strings.Join(Pages, ", "))
		}
		for j := range s.ShowMe {
			if err := s.ShowMe[j].validate(&names); err != nil {
				return errAt(field(n, "show_me").Content[j], "%v", err)
			}
		}
		for j := range s.Check {
			if err := s.Check[j].validate(&names); err != nil {
				return errAt(field(n, "check").Content[j], "%v", err)
			}
		}
		if s.Within > 10*time.Minute {
			return errAt(field(n, "within"), "within %s: a step's Show-me path may take at most 10m", s.Within)
		}
		if s.Within == 0 {
			l.Steps[i].Within = DefaultWithin
		}
	}
	return nil
}

// names are what a lesson has defined so far, in file order: a check or action may refer only to these.
type names struct {
	streams, producers map[string]bool
	readers, puts      map[string]bool
	batches, reads     map[string]bool
	deliveries, apps   map[string]bool
	videos, users      map[string]bool
	alarms             map[string]bool
}

func (n *names) define(set *map[string]bool, name string) {
	if *set == nil {
		*set = map[string]bool{}
	}
	(*set)[name] = true
}

func (n *names) need(set map[string]bool, what, name string) error {
	if !set[name] {
		return fmt.Errorf("%s %q is not defined before this point in the lesson", what, name)
	}
	return nil
}

func (p ProducerSetup) config() loadgen.Config {
	return loadgen.Config{Name: p.Name, Stream: p.Stream, Template: p.Template, Rate: p.Rate, Seed: p.Seed,
		Keys: loadgen.KeyDistribution{Kind: p.Keys.Kind, Keys: p.Keys.Count, HotShare: p.Keys.HotShare,
			ZipfExponent: p.Keys.Zipf}}
}
