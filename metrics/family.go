package metrics

import (
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Namespace prefixes every bbox metric.
const Namespace = "bbox"

// emit reports one value of a family with its label values.
type emit func(v float64, labelValues ...string)

// family is one metric family read from a snapshot S.
type family[S any] struct {
	name   string // without the namespace
	help   string
	typ    prometheus.ValueType
	labels []string
	read   func(s *S, e emit)
}

// counter is a family of one unlabelled counter.
func counter[S any](name, help string, v func(s *S) int64) family[S] {
	return family[S]{name: name, help: help, typ: prometheus.CounterValue, read: func(s *S, e emit) { e(float64(v(s))) }}
}

// gauge is a family of one unlabelled gauge.
func gauge[S any](name, help string, v func(s *S) float64) family[S] {
	return family[S]{name: name, help: help, typ: prometheus.GaugeValue, read: func(s *S, e emit) { e(v(s)) }}
}

// labelled is a family with labels; read emits each series.
func labelled[S any](name, help string, typ prometheus.ValueType, labels []string, read func(s *S, e emit)) family[S] {
	return family[S]{name: name, help: help, typ: typ, labels: labels, read: read}
}

// snapCollector collects families from one snapshot per scrape.
type snapCollector[S any] struct {
	snap  func() S
	fams  []family[S]
	descs []*prometheus.Desc
	mono  monotonic
}

func newSnapCollector[S any](snap func() S, constLabels prometheus.Labels, fams []family[S]) *snapCollector[S] {
	c := &snapCollector[S]{snap: snap, fams: fams}
	for _, f := range fams {
		c.descs = append(c.descs, prometheus.NewDesc(Namespace+"_"+f.name, f.help, f.labels, constLabels))
	}
	return c
}

func (c *snapCollector[S]) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *snapCollector[S]) Collect(ch chan<- prometheus.Metric) {
	s := c.snap()
	for i, f := range c.fams {
		d := c.descs[i]
		f.read(&s, func(v float64, lv ...string) {
			if f.typ == prometheus.CounterValue {
				v = c.mono.guard(f.name, lv, v)
			}
			ch <- prometheus.MustNewConstMetric(d, f.typ, v, lv...)
		})
	}
}

// monotonic keeps counters from going backwards when a snapshot sums over
// a set that shrinks (closed connections dropped from a bounded history):
// Prometheus would read a decrease as a restart and double-count.
type monotonic struct {
	mu   sync.Mutex
	last map[string]float64
}

func (m *monotonic) guard(name string, lv []string, v float64) float64 {
	k := name + "\xff" + strings.Join(lv, "\xff")
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.last == nil {
		m.last = map[string]float64{}
	}
	if prev, ok := m.last[k]; ok && v < prev {
		return prev
	}
	m.last[k] = v
	return v
}

// MaxReasons bounds the distinct values of a reason label; the rest are
// counted under "other".
const MaxReasons = 16

// reasons folds free-form close reasons ("stuck: no progress within the
// write deadline (2s)") to a short label ("stuck"), at most MaxReasons.
type reasons struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (r *reasons) label(s string) string {
	if i := strings.IndexAny(s, ":(,;"); i >= 0 {
		s = s[:i]
	}
	s = strings.ToLower(strings.TrimSpace(s))
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == ' ', c == '-', c == '_':
			b.WriteByte('_')
		}
		if b.Len() >= 32 {
			break
		}
	}
	s = b.String()
	if s == "" {
		s = "unknown"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	if !r.seen[s] {
		if len(r.seen) >= MaxReasons {
			return "other"
		}
		r.seen[s] = true
	}
	return s
}
