package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/bbox-dev/bbox/internal/words"
)

// RunSummary is what `bbox bench compare` reads of a bench JSON summary
// (the CLI.md keys plus bench's own). Unknown keys are ignored, so
// summaries from newer versions still compare.
type RunSummary struct {
	Command          string       `json:"command"`
	RecordsPublished int64        `json:"records_published"`
	RecordsReceived  int64        `json:"records_received"`
	RecordsLost      int64        `json:"records_lost"`
	Gaps             int64        `json:"gaps"`
	ThroughputRPS    float64      `json:"throughput_rps"`
	LatencyUS        Percentiles  `json:"latency_us"`
	TargetRate       float64      `json:"target_rate"`
	LatencyFrom      string       `json:"latency_from"`
	Mode             string       `json:"mode"` // inprocess or process ("" before modes)
	Baselines        []PathResult `json:"baselines"`
	Sweep            *SweepJSON   `json:"sweep"`
	CPU              []ProcCPU    `json:"cpu"`
	Ladder           *LadderJSON  `json:"ladder"`
}

// PathResult is one path's outcome in a JSON summary.
type PathResult struct {
	Path          string      `json:"path"`
	Published     int64       `json:"records_published"`
	Received      int64       `json:"records_received"`
	Lost          int64       `json:"records_lost"`
	SentRPS       float64     `json:"sent_rps"`
	ThroughputRPS float64     `json:"throughput_rps"`
	LatencyUS     Percentiles `json:"latency_us"`
	MaxRateUnder  float64     `json:"max_rate_under_sla,omitempty"`
	CPU           []ProcCPU   `json:"cpu,omitempty"`
	Warmup        *WarmupJSON `json:"warmup,omitempty"`
}

// SweepJSON is a sweep in a JSON summary.
type SweepJSON struct {
	SLAUS        float64         `json:"sla_us"`
	MaxRateUnder float64         `json:"max_rate_under_sla"`
	BrokeAt      float64         `json:"broke_at_rate"`
	Steps        []SweepStepJSON `json:"steps"`
	Baselines    []SweepPathJSON `json:"baselines,omitempty"`
}

// SweepStepJSON is one step of a sweep in a JSON summary.
type SweepStepJSON struct {
	Rate      float64     `json:"rate"`
	SentRPS   float64     `json:"sent_rps"`
	Received  int64       `json:"records_received"`
	Lost      int64       `json:"records_lost"`
	LatencyUS Percentiles `json:"latency_us"`
	OK        bool        `json:"ok"`
	Reason    string      `json:"reason,omitempty"`
}

// SweepPathJSON is a baseline's sweep in a JSON summary.
type SweepPathJSON struct {
	Path         string          `json:"path"`
	MaxRateUnder float64         `json:"max_rate_under_sla"`
	Steps        []SweepStepJSON `json:"steps"`
}

// parseSummary reads a bench JSON summary: a file holding one JSON object,
// or output whose last non-empty line is one (`bbox bench --json > f`).
// name is used in errors.
func parseSummary(name string, data []byte) (*RunSummary, error) {
	var s RunSummary
	trimmed := bytes.TrimSpace(data)
	err := json.Unmarshal(trimmed, &s)
	if err != nil {
		if i := bytes.LastIndexByte(trimmed, '\n'); i >= 0 {
			err = json.Unmarshal(trimmed[i+1:], &s)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: not a bench JSON summary: %v", name, err)
	}
	if s.Command != "" && s.Command != "bench" {
		return nil, fmt.Errorf("%s: a %q summary, not a bench one", name, s.Command)
	}
	if s.RecordsReceived == 0 && s.Sweep == nil {
		return nil, fmt.Errorf("%s: the summary has no records_received and no sweep", name)
	}
	return &s, nil
}

// Delta is one compared metric.
type Delta struct {
	Metric string  `json:"metric"`
	A      float64 `json:"a"`
	B      float64 `json:"b"`
	Change float64 `json:"change_pct"` // (B − A) / A × 100; NaN-free: 0 when A is 0
	// Better is +1 when B is better, −1 when worse, 0 when equal or not judged.
	Better int    `json:"better"`
	Unit   string `json:"unit"` // "us", "rps", "records", "x"
}

// noiseFloor is the change, in percent, below which compareRuns calls a metric
// neither better nor worse.
const noiseFloor = 1.0

// compareRuns lists the differences between run a (before) and run b (after).
func compareRuns(a, b *RunSummary) []Delta {
	var out []Delta
	add := func(metric, unit string, va, vb float64, lowerBetter bool) {
		d := Delta{Metric: metric, A: va, B: vb, Unit: unit}
		if va != 0 {
			d.Change = (vb - va) / math.Abs(va) * 100
		}
		switch {
		case vb == va:
		case va != 0 && math.Abs(d.Change) < noiseFloor:
			// Within measurement noise: not called better or worse.
		case (vb < va) == lowerBetter:
			d.Better = 1
		default:
			d.Better = -1
		}
		out = append(out, d)
	}
	lat := func(prefix string, pa, pb Percentiles) {
		add(prefix+"p50", "us", pa.P50, pb.P50, true)
		add(prefix+"p90", "us", pa.P90, pb.P90, true)
		add(prefix+"p99", "us", pa.P99, pb.P99, true)
		add(prefix+"p99.9", "us", pa.P999, pb.P999, true)
		if pa.P9999 > 0 || pb.P9999 > 0 {
			add(prefix+"p99.99", "us", pa.P9999, pb.P9999, true)
		}
		add(prefix+"max", "us", pa.Max, pb.Max, true)
	}
	if a.RecordsReceived > 0 && b.RecordsReceived > 0 {
		add("throughput_rps", "rps", a.ThroughputRPS, b.ThroughputRPS, false)
		lat("", a.LatencyUS, b.LatencyUS)
		add("records_lost", "records", float64(a.RecordsLost), float64(b.RecordsLost), true)
		add("gaps", "records", float64(a.Gaps), float64(b.Gaps), true)
		// Ratios to baselines measured in the same run compare fairly even
		// across boxes: the box's speed cancels out.
		for _, ba := range a.Baselines {
			for _, bb := range b.Baselines {
				if ba.Path != bb.Path || ba.LatencyUS.P50 == 0 || bb.LatencyUS.P50 == 0 || ba.LatencyUS.P99 == 0 || bb.LatencyUS.P99 == 0 {
					continue
				}
				add("p50 / "+ba.Path+" p50", "x", a.LatencyUS.P50/ba.LatencyUS.P50, b.LatencyUS.P50/bb.LatencyUS.P50, true)
				add("p99 / "+ba.Path+" p99", "x", a.LatencyUS.P99/ba.LatencyUS.P99, b.LatencyUS.P99/bb.LatencyUS.P99, true)
			}
		}
	}
	if ca, cb := cpuTotal(a.CPU), cpuTotal(b.CPU); ca > 0 && cb > 0 {
		add("cpu_us_per_record", "us", ca, cb, true)
	}
	if a.Ladder != nil && b.Ladder != nil {
		compareLadders(a.Ladder, b.Ladder, add, lat)
	}
	if a.Sweep != nil && b.Sweep != nil {
		add("max_rate_under_sla", "rps", a.Sweep.MaxRateUnder, b.Sweep.MaxRateUnder, false)
		for _, ba := range a.Sweep.Baselines {
			for _, bb := range b.Sweep.Baselines {
				if ba.Path == bb.Path && ba.MaxRateUnder > 0 && bb.MaxRateUnder > 0 {
					add("max_rate_under_sla / "+ba.Path, "x", a.Sweep.MaxRateUnder/ba.MaxRateUnder, b.Sweep.MaxRateUnder/bb.MaxRateUnder, false)
				}
			}
		}
	}
	return out
}

func cpuTotal(cs []ProcCPU) float64 {
	var t float64
	for _, c := range cs {
		t += c.PerMillion
	}
	return t
}

// compareLadders adds, for every path and target rate both ladders ran,
// the received rate, the latency percentiles and the CPU per record
// ("bbox@1M p99"), and bbox's p99 ratio to each baseline at that rate.
func compareLadders(a, b *LadderJSON, add func(metric, unit string, va, vb float64, lowerBetter bool), lat func(prefix string, pa, pb Percentiles)) {
	for _, pa := range a.Paths {
		for _, pb := range b.Paths {
			if pa.Path != pb.Path {
				continue
			}
			for _, sa := range pa.Steps {
				for _, sb := range pb.Steps {
					if sa.Target != sb.Target || sa.Received == 0 || sb.Received == 0 {
						continue
					}
					prefix := pa.Path + "@" + sa.Target + " "
					add(prefix+"throughput_rps", "rps", sa.ThroughputRPS, sb.ThroughputRPS, false)
					lat(prefix, sa.LatencyUS, sb.LatencyUS)
					add(prefix+"records_lost", "records", float64(sa.Lost), float64(sb.Lost), true)
					if ca, cb := cpuTotal(sa.CPU), cpuTotal(sb.CPU); ca > 0 && cb > 0 {
						add(prefix+"cpu_us_per_record", "us", ca, cb, true)
					}
				}
			}
		}
	}
	for _, t := range a.Rates {
		ra, rb := a.Ratios[t], b.Ratios[t]
		keys := make([]string, 0, len(ra))
		for k := range ra {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			va := ra[k]
			if vb, ok := rb[k]; ok && strings.HasPrefix(k, "p99_vs_") && va > 0 && vb > 0 {
				add("bbox@"+t+" p99 / "+strings.TrimPrefix(k, "p99_vs_")+" p99", "x", va, vb, true)
			}
		}
	}
}

// writeCompare prints deltas as a table.
func writeCompare(w io.Writer, nameA, nameB string, a, b *RunSummary, ds []Delta) error {
	bw := bufio.NewWriter(w)
	if a.LatencyFrom != b.LatencyFrom && a.LatencyFrom != "" && b.LatencyFrom != "" {
		fmt.Fprintf(bw, "  note: A measures latency from the %s time, B from the %s time: their latencies are not comparable\n", a.LatencyFrom, b.LatencyFrom)
	}
	if a.Mode != b.Mode && a.Mode != "" && b.Mode != "" {
		// One process against separate processes: different costs, not a regression.
		fmt.Fprintf(bw, "  note: A ran --mode %s, B --mode %s: their figures are not comparable\n", a.Mode, b.Mode)
	}
	if a.TargetRate != b.TargetRate && a.TargetRate > 0 && b.TargetRate > 0 {
		fmt.Fprintf(bw, "  note: A ran at %s/s, B at %s/s\n", words.Rate(a.TargetRate), words.Rate(b.TargetRate))
	}
	fmt.Fprintf(bw, "  %-28s %12s %12s %9s\n", "metric", short(nameA, 12), short(nameB, 12), "change")
	for _, d := range ds {
		verdict := ""
		switch d.Better {
		case 1:
			verdict = "better"
		case -1:
			verdict = "worse"
		}
		change := "-"
		if d.A != 0 {
			change = fmt.Sprintf("%+.1f%%", d.Change)
		}
		fmt.Fprintf(bw, "  %-28s %12s %12s %9s  %s\n", d.Metric, formatUnit(d.A, d.Unit), formatUnit(d.B, d.Unit), change, verdict)
	}
	return bw.Flush()
}

func short(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return "…" + string(r[len(r)-n+1:])
	}
	return s
}

func formatUnit(v float64, unit string) string {
	switch unit {
	case "us":
		return formatMicros(v)
	case "rps":
		return words.Rate(v) + "/s"
	case "x":
		return fmt.Sprintf("%.2fx", v)
	}
	return fmt.Sprintf("%.0f", v)
}

// JSON is r's entry in a JSON summary.
func (r *LoadResult) JSON() PathResult {
	return PathResult{Path: string(r.Config.Path), Published: r.Published, Received: r.Received, Lost: r.Lost,
		SentRPS: r.AchievedRate(), ThroughputRPS: r.Throughput(), LatencyUS: r.Latency()}
}

// StepsJSON is s's steps in a JSON summary.
func (s *SweepResult) StepsJSON() []SweepStepJSON {
	out := []SweepStepJSON{}
	for _, st := range s.Steps {
		r := st.Result
		out = append(out, SweepStepJSON{Rate: st.Rate, SentRPS: r.AchievedRate(), Received: r.Received, Lost: r.Lost,
			LatencyUS: st.Latency, OK: st.OK, Reason: st.Reason})
	}
	return out
}

// MaxRate is the highest rate that held, 0 if none did.
func (s *SweepResult) MaxRate() float64 {
	if s.Best == nil {
		return 0
	}
	return s.Best.Rate
}
