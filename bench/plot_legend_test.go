package bench

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bbox-dev/bbox/internal/words"
)

var (
	legendRect = regexp.MustCompile(`<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="#fff" stroke="#ccc"/>`)
	polyPoints = regexp.MustCompile(`<polyline [^>]*points="([^"]*)"`)
	circleAt   = regexp.MustCompile(`<circle cx="([\d.-]+)" cy="([\d.-]+)"`)
)

// checkLegends parses an SVG written by the plot writers and fails if, in
// any chart, a curve's point, a point on a segment between two of them or
// a dot lies inside the legend's box.
func checkLegends(t *testing.T, name string, svg []byte) {
	t.Helper()
	groups := strings.Split(string(svg), `<g transform="translate(0,`)[1:]
	if len(groups) == 0 {
		t.Fatalf("%s: no chart", name)
	}
	for gi, g := range groups {
		m := legendRect.FindStringSubmatch(g)
		if m == nil {
			t.Fatalf("%s chart %d: no legend box", name, gi)
		}
		var b [4]float64
		for i := range b {
			b[i], _ = strconv.ParseFloat(m[i+1], 64)
		}
		in := func(x, y float64) bool { return x >= b[0] && x <= b[0]+b[2] && y >= b[1] && y <= b[1]+b[3] }
		if b[0]+b[2] > plotW+0.5 {
			t.Errorf("%s chart %d: legend %v runs off the image", name, gi, b)
		}
		for _, pm := range polyPoints.FindAllStringSubmatch(g, -1) {
			var prev []float64
			for _, pt := range strings.Fields(pm[1]) {
				xy := strings.Split(pt, ",")
				x, _ := strconv.ParseFloat(xy[0], 64)
				y, _ := strconv.ParseFloat(xy[1], 64)
				if prev != nil {
					for k := 0; k <= 20; k++ {
						f := float64(k) / 20
						if px, py := prev[0]+f*(x-prev[0]), prev[1]+f*(y-prev[1]); in(px, py) {
							t.Fatalf("%s chart %d: the curve through %.1f,%.1f crosses the legend %v", name, gi, px, py, b)
						}
					}
				}
				prev = []float64{x, y}
			}
		}
		for _, cm := range circleAt.FindAllStringSubmatch(g, -1) {
			x, _ := strconv.ParseFloat(cm[1], 64)
			y, _ := strconv.ParseFloat(cm[2], 64)
			if in(x, y) {
				t.Fatalf("%s chart %d: the point %.1f,%.1f is under the legend %v", name, gi, x, y, b)
			}
		}
	}
}

// The legend never covers data: in the percentile plot (whose curves
// start bottom left and climb to the top right), in the timeline (whose
// first interval's max sits top left), and in a chart whose curves run
// through every corner, where the legend moves out of the plot.
func TestPlotLegendCoversNoCurve(t *testing.T) {
	var curves []curve
	for i, scale := range []int64{1, 3, 10} {
		h := NewHistogram()
		for v := int64(1); v <= 20000; v++ {
			h.RecordValue(scale * (20000 + v*v/(50+int64(i)*10)))
		}
		curves = append(curves, curve{Name: "path " + strconv.Itoa(i), Hist: h})
	}
	// A slow path whose curve runs flat along the top, across the top
	// left where the legend used to sit (the zmq4 curve near p99).
	slow := NewHistogram()
	for v := int64(1); v <= 20000; v++ {
		slow.RecordValue(50_000_000 + v*100)
	}
	curves = append(curves, curve{Name: "slow", Hist: slow})
	var b bytes.Buffer
	if err := writePercentilePlot(&b, "percentiles", nil, curves, 1000); err != nil {
		t.Fatal(err)
	}
	checkLegends(t, "percentiles", b.Bytes())

	b.Reset()
	ivs := []IntervalStat{
		{Start: 0, End: 1, Published: 100000, Received: 100000, Latency: Percentiles{P50: 80, P99: 9000, Max: 14600}},
		{Start: 1, End: 2, Published: 100000, Received: 100000, Latency: Percentiles{P50: 60, P99: 300, Max: 900}},
		{Start: 2, End: 3, Published: 100000, Received: 100000, Latency: Percentiles{P50: 60, P99: 250, Max: 14000}},
	}
	if err := writeTimelinePlot(&b, "timeline", nil, ivs, 100000); err != nil {
		t.Fatal(err)
	}
	checkLegends(t, "timeline", b.Bytes())

	// Curves through all four corners: no corner is free.
	c := &chart{title: "everywhere", x: linAxis("x", 10, words.Rate), y: linAxis("y", 10, words.Rate)}
	c.series = []series{{name: "a long series name", color: palette[0], xs: []float64{0, 10, 0, 10}, ys: []float64{10, 10, 0, 0}},
		{name: "b", color: palette[1], xs: []float64{0, 10}, ys: []float64{0, 10}, dots: true}}
	b.Reset()
	if err := writeSVG(&b, c); err != nil {
		t.Fatal(err)
	}
	checkLegends(t, "everywhere", b.Bytes())
	if lay := c.layout(); lay.inside {
		t.Fatalf("legend placed inside a plot with no free corner: %+v", lay)
	}
}
