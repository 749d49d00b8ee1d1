package bench

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/bbox-dev/bbox/internal/words"
)

// Plots are SVG written here rather than through a plotting library: three
// line charts with log axes need ~250 lines, an SVG opens in any browser,
// and the project keeps its dependencies to the allowed stack.

// Palette for series, in order.
var palette = []string{"#1f77b4", "#ff7f0e", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#7f7f7f"}

type tick struct {
	v     float64 // in axis units (log10 already applied for log axes)
	label string
}

type axis struct {
	label    string
	lo, hi   float64 // in axis units
	log      bool    // values are mapped through log10
	ticks    []tick
	minorLog bool // draw unlabelled 2..9 grid lines between decades
}

func (a *axis) pos(v float64) float64 {
	if a.log {
		if v <= 0 {
			v = math.Pow(10, a.lo)
		}
		v = math.Log10(v)
	}
	if a.hi == a.lo {
		return 0.5
	}
	return (v - a.lo) / (a.hi - a.lo)
}

type series struct {
	name   string
	color  string
	dash   string
	xs, ys []float64
	dots   bool
}

type hline struct {
	y     float64
	label string
	color string
}

type vline struct {
	x     float64
	label string
	color string
}

type chart struct {
	title  string
	x, y   axis
	series []series
	hlines []hline
	vlines []vline
	notes  []string // lines under the title
}

const (
	plotW, plotH                       = 880, 480
	marginL, marginR, marginT, marginB = 78, 44, 72, 56
)

var xmlEsc = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// draw renders c as a group at vertical offset dy.
func (c *chart) draw(w *bufio.Writer, dy int) {
	lay := c.layout()
	pw, ph := lay.pw, float64(plotH-marginT-marginB)
	px := func(v float64) float64 { return marginL + c.x.pos(v)*pw }
	py := func(v float64) float64 { return marginT + (1-c.y.pos(v))*ph }
	fmt.Fprintf(w, `<g transform="translate(0,%d)">`+"\n", dy)
	fmt.Fprintf(w, `<text x="%d" y="22" font-size="16" font-weight="bold">%s</text>`+"\n", marginL, xmlEsc.Replace(c.title))
	for i, n := range wrap(c.notes, 125, 3) {
		fmt.Fprintf(w, `<text x="%d" y="%d" font-size="11" fill="#555">%s</text>`+"\n", marginL, 36+12*i, xmlEsc.Replace(n))
	}
	fmt.Fprintf(w, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="#fff" stroke="#999"/>`+"\n", marginL, marginT, pw, ph)
	// Grid and tick labels.
	if c.y.log && c.y.minorLog {
		for d := math.Floor(c.y.lo); d < c.y.hi; d++ {
			for k := 2.0; k < 10; k++ {
				v := d + math.Log10(k)
				if v > c.y.lo && v < c.y.hi {
					y := marginT + (1-(v-c.y.lo)/(c.y.hi-c.y.lo))*ph
					fmt.Fprintf(w, `<line x1="%d" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#f0f0f0"/>`+"\n", marginL, marginL+pw, y, y)
				}
			}
		}
	}
	for _, t := range c.y.ticks {
		y := marginT + (1-(t.v-c.y.lo)/(c.y.hi-c.y.lo))*ph
		fmt.Fprintf(w, `<line x1="%d" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", marginL, marginL+pw, y, y)
		fmt.Fprintf(w, `<text x="%d" y="%.1f" font-size="11" text-anchor="end">%s</text>`+"\n", marginL-6, y+4, xmlEsc.Replace(t.label))
	}
	for _, t := range c.x.ticks {
		x := marginL + (t.v-c.x.lo)/(c.x.hi-c.x.lo)*pw
		fmt.Fprintf(w, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%.1f" stroke="#ddd"/>`+"\n", x, x, marginT, marginT+ph)
		fmt.Fprintf(w, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="middle">%s</text>`+"\n", x, marginT+ph+16, xmlEsc.Replace(t.label))
	}
	fmt.Fprintf(w, `<text x="%.1f" y="%.1f" font-size="12" text-anchor="middle">%s</text>`+"\n", marginL+pw/2, marginT+ph+40, xmlEsc.Replace(c.x.label))
	fmt.Fprintf(w, `<text transform="translate(18,%.1f) rotate(-90)" font-size="12" text-anchor="middle">%s</text>`+"\n", marginT+ph/2, xmlEsc.Replace(c.y.label))
	fmt.Fprintf(w, `<clipPath id="clip%d"><rect x="%d" y="%d" width="%.0f" height="%.0f"/></clipPath>`+"\n", dy, marginL, marginT, pw, ph)
	fmt.Fprintf(w, `<g clip-path="url(#clip%d)">`+"\n", dy)
	for _, h := range c.hlines {
		y := py(h.y)
		fmt.Fprintf(w, `<line x1="%d" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="6,4"/>`+"\n", marginL, marginL+pw, y, y, h.color)
		fmt.Fprintf(w, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="end" fill="%s">%s</text>`+"\n", marginL+pw-4, y-4, h.color, xmlEsc.Replace(h.label))
	}
	for _, v := range c.vlines {
		x := px(v.x)
		fmt.Fprintf(w, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%.1f" stroke="%s" stroke-dasharray="2,3"/>`+"\n", x, x, marginT, marginT+ph, v.color)
		fmt.Fprintf(w, `<text x="%.1f" y="%d" font-size="11" fill="%s">%s</text>`+"\n", x+4, marginT+14, v.color, xmlEsc.Replace(v.label))
	}
	for _, s := range c.series {
		if len(s.xs) == 0 {
			continue
		}
		var b strings.Builder
		for i := range s.xs {
			fmt.Fprintf(&b, "%.1f,%.1f ", px(s.xs[i]), py(s.ys[i]))
		}
		dash := ""
		if s.dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, s.dash)
		}
		fmt.Fprintf(w, `<polyline fill="none" stroke="%s" stroke-width="1.8"%s points="%s"/>`+"\n", s.color, dash, strings.TrimSpace(b.String()))
		if s.dots {
			for i := range s.xs {
				fmt.Fprintf(w, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", px(s.xs[i]), py(s.ys[i]), s.color)
			}
		}
	}
	fmt.Fprintln(w, `</g>`)
	// Legend: in a corner of the plot where no curve runs, else outside
	// it on the right (the plot narrows to make room), never over data.
	if len(c.series) > 0 {
		lb := lay.legend
		fmt.Fprintf(w, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#fff" stroke="#ccc"/>`+"\n", lb.x, lb.y, lb.w, lb.h)
		for i, s := range c.series {
			y := lb.y + 16 + 16*float64(i)
			fmt.Fprintf(w, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="2.5"/>`+"\n", lb.x+6, lb.x+30, y-4, y-4, s.color)
			fmt.Fprintf(w, `<text x="%.1f" y="%.1f" font-size="12">%s</text>`+"\n", lb.x+36, y, xmlEsc.Replace(s.name))
		}
	}
	fmt.Fprintln(w, `</g>`)
}

// box is a rectangle in SVG pixels.
type box struct{ x, y, w, h float64 }

func (b box) contains(x, y float64) bool {
	return x >= b.x && x <= b.x+b.w && y >= b.y && y <= b.y+b.h
}

// chartLayout is where a chart's plot area ends and its legend goes.
type chartLayout struct {
	pw     float64 // plot area width
	legend box
	inside bool // the legend sits inside the plot area
}

// legendSize is the legend's width and height for c's series names.
func (c *chart) legendSize() (float64, float64) {
	wmax := 0
	for _, s := range c.series {
		wmax = max(wmax, len([]rune(s.name)))
	}
	return float64(40 + 7*wmax), float64(16*len(c.series) + 6)
}

// points returns every series' points in pixels for a plot area pw wide,
// with points added along each segment every few pixels, so a box that
// no point falls in is crossed by no curve either.
func (c *chart) points(pw float64) [][2]float64 {
	ph := float64(plotH - marginT - marginB)
	var out [][2]float64
	for _, s := range c.series {
		for i := range s.xs {
			x, y := marginL+c.x.pos(s.xs[i])*pw, marginT+(1-c.y.pos(s.ys[i]))*ph
			if i > 0 {
				x0, y0 := marginL+c.x.pos(s.xs[i-1])*pw, marginT+(1-c.y.pos(s.ys[i-1]))*ph
				n := int(math.Hypot(x-x0, y-y0)/3) + 1
				for k := 1; k < n; k++ {
					f := float64(k) / float64(n)
					out = append(out, [2]float64{x0 + f*(x-x0), y0 + f*(y-y0)})
				}
			}
			out = append(out, [2]float64{x, y})
		}
	}
	return out
}

// layout places the legend in the first corner of the plot area (top
// left, top right, bottom right, bottom left) that no curve crosses, with
// a few pixels to spare; if every corner is taken it narrows the plot and
// puts the legend to its right, outside.
func (c *chart) layout() chartLayout {
	pw := float64(plotW - marginL - marginR)
	ph := float64(plotH - marginT - marginB)
	lw, lh := c.legendSize()
	if len(c.series) == 0 {
		return chartLayout{pw: pw}
	}
	const pad = 4.0
	pts := c.points(pw)
	for _, b := range []box{
		{marginL + pad, marginT + pad, lw, lh},
		{marginL + pw - pad - lw, marginT + pad, lw, lh},
		{marginL + pw - pad - lw, marginT + ph - pad - lh, lw, lh},
		{marginL + pad, marginT + ph - pad - lh, lw, lh},
	} {
		grown := box{b.x - pad, b.y - pad, b.w + 2*pad, b.h + 2*pad}
		free := true
		for _, p := range pts {
			if grown.contains(p[0], p[1]) {
				free = false
				break
			}
		}
		if free {
			return chartLayout{pw: pw, legend: b, inside: true}
		}
	}
	npw := math.Max(pw-lw-3*pad, pw/2)
	return chartLayout{pw: npw, legend: box{marginL + npw + 2*pad, marginT, math.Min(lw, float64(plotW)-(marginL+npw+2*pad)-2), lh}}
}

// writeSVG writes charts stacked vertically into one SVG document.
func writeSVG(out io.Writer, charts ...*chart) error {
	w := bufio.NewWriter(out)
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif">`+"\n",
		plotW, plotH*len(charts), plotW, plotH*len(charts))
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="#fafafa"/>`+"\n")
	for i, c := range charts {
		c.draw(w, i*plotH)
	}
	fmt.Fprintln(w, `</svg>`)
	return w.Flush()
}

// wrap breaks notes into lines of at most width runes at spaces, keeping
// at most maxLines lines.
func wrap(notes []string, width, maxLines int) []string {
	var out []string
	for _, n := range notes {
		line := ""
		for _, word := range strings.Fields(n) {
			if line != "" && len([]rune(line))+1+len([]rune(word)) > width {
				out = append(out, line)
				line = ""
			}
			if line != "" {
				line += " "
			}
			line += word
		}
		if line != "" {
			out = append(out, line)
		}
	}
	if len(out) > maxLines {
		out = out[:maxLines]
	}
	return out
}

// logAxis covers [lo, hi] (raw values, > 0) with 1-2-5 ticks per decade.
func logAxis(label string, lo, hi float64, format func(float64) string) axis {
	if !(lo > 0) || math.IsInf(lo, 0) {
		lo = 1 // no data
	}
	if !(hi > lo) || math.IsInf(hi, 0) {
		hi = lo * 10
	}
	a := axis{label: label, log: true, minorLog: true}
	a.lo, a.hi = math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if a.hi == a.lo {
		a.hi++
	}
	steps := []float64{1, 2, 5}
	if a.hi-a.lo > 4 {
		steps = []float64{1}
	}
	for d := a.lo; d <= a.hi; d++ {
		for _, k := range steps {
			v := d + math.Log10(k)
			if v <= a.hi+1e-9 {
				a.ticks = append(a.ticks, tick{v: v, label: format(math.Pow(10, d) * k)})
			}
		}
	}
	return a
}

// linAxis covers [0, hi] with about six round ticks.
func linAxis(label string, hi float64, format func(float64) string) axis {
	if !(hi > 0) {
		hi = 1
	}
	raw := hi / 6
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, k := range []float64{1, 2, 2.5, 5, 10} {
		if k*mag >= raw {
			step = k * mag
			break
		}
	}
	a := axis{label: label, lo: 0, hi: math.Ceil(hi/step) * step}
	for v := 0.0; v <= a.hi+step/2; v += step {
		a.ticks = append(a.ticks, tick{v: v, label: format(v)})
	}
	return a
}

func fmtTickMicros(us float64) string {
	switch {
	case us < 1000:
		return words.TrimZero(fmt.Sprintf("%.3g", us)) + "µs"
	case us < 1e6:
		return words.TrimZero(fmt.Sprintf("%.3g", us/1e3)) + "ms"
	}
	return words.TrimZero(fmt.Sprintf("%.3g", us/1e6)) + "s"
}

// percentileX maps a percentile (0..100) to the plot's x: the number of
// nines, log10(1/(1-p)), capped at what count records can resolve.
func percentileX(p float64, cap float64) float64 {
	if p >= 100 {
		return cap
	}
	return math.Min(math.Log10(100/(100-p)), cap)
}

// curve is one histogram drawn on a percentile plot.
type curve struct {
	Name string
	Hist *hdrhistogram.Histogram // ns
}

// writePercentilePlot draws the percentile distribution of each curve
// (latency against percentile, the percentile axis log-scaled in nines:
// 90%, 99%, 99.9% … equally spaced) as SVG, with optional horizontal
// lines such as an SLA (value in µs).
func writePercentilePlot(w io.Writer, title string, notes []string, curves []curve, sla float64) error {
	var maxN int64
	lo, hi := math.Inf(1), 0.0
	for _, c := range curves {
		if c.Hist.TotalCount() == 0 {
			continue
		}
		maxN = max(maxN, c.Hist.TotalCount())
		lo = math.Min(lo, float64(max(c.Hist.Min(), 1))/1e3)
		hi = math.Max(hi, float64(c.Hist.Max())/1e3)
	}
	if sla > 0 {
		hi = math.Max(hi, sla)
		lo = math.Min(lo, sla)
	}
	nines := math.Max(2, math.Ceil(math.Log10(float64(max(maxN, 1)))))
	nines = math.Min(nines, 7)
	x := axis{label: "percentile (log scale: each step is ten times rarer)", lo: 0, hi: nines}
	for k := 0.0; k <= nines; k++ {
		label := "0%"
		if k > 0 {
			label = words.TrimZero(fmt.Sprintf("%.*f", int(k), 100-100/math.Pow(10, k))) + "%"
		}
		x.ticks = append(x.ticks, tick{v: k, label: label})
	}
	c := &chart{title: title, notes: notes, x: x, y: logAxis("latency (log scale)", lo, hi, fmtTickMicros)}
	for i, cv := range curves {
		if cv.Hist.TotalCount() == 0 {
			continue
		}
		s := series{name: fmt.Sprintf("%s (%s records, max %s)", cv.Name, words.Rate(float64(cv.Hist.TotalCount())), formatMicros(float64(cv.Hist.Max())/1e3)),
			color: palette[i%len(palette)]}
		for _, b := range cv.Hist.CumulativeDistributionWithTicks(5) {
			s.xs = append(s.xs, percentileX(b.Quantile, nines))
			s.ys = append(s.ys, float64(b.ValueAt)/1e3)
		}
		c.series = append(c.series, s)
	}
	if sla > 0 {
		c.hlines = append(c.hlines, hline{y: sla, label: "SLA " + formatMicros(sla), color: "#d62728"})
	}
	return writeSVG(w, c)
}

// writeTimelinePlot draws throughput (sent and received records/s) and
// latency (p50, p99, max per interval) over the run as two stacked charts.
func writeTimelinePlot(w io.Writer, title string, notes []string, ivs []IntervalStat, target float64) error {
	var end, topRate float64
	lo, hi := math.Inf(1), 0.0
	for _, iv := range ivs {
		end = math.Max(end, iv.End)
		topRate = math.Max(topRate, math.Max(iv.SendRate(), iv.RecvRate()))
		if iv.SendUnknown {
			topRate = math.Max(topRate, iv.RecvRate())
		}
		if iv.Received > 0 {
			lo = math.Min(lo, iv.Latency.P50)
			hi = math.Max(hi, iv.Latency.Max)
		}
	}
	topRate = math.Max(topRate, target) * 1.1
	timeAxis := linAxis("seconds since the start", end, func(v float64) string { return words.TrimZero(fmt.Sprintf("%.2f", v)) })
	rc := &chart{title: title, notes: notes, x: timeAxis, y: linAxis("records per second", topRate, words.Rate)}
	// Rates are steps over their intervals: the short tail interval after
	// sending stops then shows as short, not as a collapse.
	sent := series{name: "sent", color: palette[0]}
	recv := series{name: "received", color: palette[3], dash: "5,3"}
	lc := &chart{title: "Latency of each interval (p50, p99, max)", x: timeAxis, y: logAxis("latency (log scale)", lo, hi, fmtTickMicros)}
	p50 := series{name: "p50", color: palette[0], dots: true}
	p99 := series{name: "p99", color: palette[1], dots: true}
	mx := series{name: "max", color: palette[2], dots: true}
	for _, iv := range ivs {
		mid := (iv.Start + iv.End) / 2
		sent.xs, sent.ys = append(sent.xs, iv.Start, iv.End), append(sent.ys, iv.SendRate(), iv.SendRate())
		recv.xs, recv.ys = append(recv.xs, iv.Start, iv.End), append(recv.ys, iv.RecvRate(), iv.RecvRate())
		if iv.Received > 0 {
			p50.xs, p50.ys = append(p50.xs, mid), append(p50.ys, iv.Latency.P50)
			p99.xs, p99.ys = append(p99.xs, mid), append(p99.ys, iv.Latency.P99)
			mx.xs, mx.ys = append(mx.xs, mid), append(mx.ys, iv.Latency.Max)
		}
	}
	rc.series = []series{sent, recv}
	if len(ivs) > 0 && ivs[0].SendUnknown {
		rc.series = []series{recv} // a receiver in another process does not know when records were sent
	}
	if target > 0 {
		rc.hlines = append(rc.hlines, hline{y: target, label: "target " + words.Rate(target) + "/s", color: "#7f7f7f"})
	}
	lc.series = []series{p50, p99, mx}
	return writeSVG(w, rc, lc)
}
