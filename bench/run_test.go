package bench

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Process mode describes its topology in words, not "1 shard(s)".
func TestDescribeProcessPlurals(t *testing.T) {
	o := &Options{}
	o.Load.Shards, o.Load.Workers = 1, 1
	if got := o.describeProcess(PathBBox, "x"); !strings.Contains(got, "(1 shard, 1 worker)") {
		t.Errorf("one shard, one worker: %q", got)
	}
	o.Load.Shards, o.Load.Workers = 2, 3
	if got := o.describeProcess(PathBBox, "x"); !strings.Contains(got, "(2 shards, 3 workers)") {
		t.Errorf("two shards, three workers: %q", got)
	}
}

// Validate rejects what Run cannot do, naming the option, not a flag.
func TestOptionsValidate(t *testing.T) {
	good := Options{Load: LoadConfig{Rate: 1000, Duration: time.Second, From: FromSource}}
	if err := good.Validate(); err != nil {
		t.Fatalf("a fixed-rate run: %v", err)
	}
	for _, c := range []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"max in-process", func(o *Options) { o.Load.Rate = 0 }, "rate 0"},
		{"sweep in process mode", func(o *Options) {
			o.Process, o.Exe, o.Sweep, o.SLA, o.Factor, o.SweepMax = true, "bbox", true, time.Millisecond, 2, 1e6
		}, "sweep runs in-process"},
		{"ladder max in-process", func(o *Options) { o.Rates = []float64{1000, 0} }, "needs process mode"},
		{"ladder and sweep", func(o *Options) { o.Rates, o.Sweep = []float64{1000}, true }, "give one"},
		{"worker in process mode", func(o *Options) { o.Process, o.Exe, o.Load.AtWorker = true, "bbox", true }, "subscriber thread"},
		{"send stamp in process mode", func(o *Options) { o.Process, o.Exe, o.Load.From = true, "bbox", FromSend }, "scheduled send time"},
		{"process mode without the binary", func(o *Options) { o.Process = true }, "Exe"},
		{"libzmq in-process", func(o *Options) { o.Baselines = []Path{PathLibZMQ} }, `baseline "libzmq"`},
		{"zmq4 in process mode", func(o *Options) { o.Process, o.Exe, o.Baselines = true, "bbox", []Path{PathZMQ4} }, `baseline "zmq4"`},
		{"sweep without an SLA", func(o *Options) { o.Sweep, o.Factor, o.SweepMax = true, 2, 1e6 }, "SLA"},
		{"sweep factor 1", func(o *Options) { o.Sweep, o.SLA, o.Factor, o.SweepMax = true, time.Millisecond, 1, 1e6 }, "factor"},
		{"sweep max below the rate", func(o *Options) { o.Sweep, o.SLA, o.Factor, o.SweepMax = true, time.Millisecond, 2, 10 }, "sweep max"},
		{"sweep min above the rate", func(o *Options) {
			o.Sweep, o.SLA, o.Factor, o.SweepMax, o.SweepMin = true, time.Millisecond, 2, 1e6, 1e5
		}, "sweep min"},
		{"warm-up as long as the run", func(o *Options) { o.Load.Warmup = time.Second }, "warmup"},
	} {
		o := good
		c.edit(&o)
		err := o.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.want)
		} else if strings.Contains(err.Error(), "--") {
			t.Errorf("%s: %v names a flag", c.name, err)
		}
	}
	ok := good
	ok.Process, ok.Exe, ok.Load.Rate = true, "bbox", 0
	if err := ok.Validate(); err != nil {
		t.Errorf("as fast as it goes in process mode: %v", err)
	}
}

// Run's fixed-rate run prints the report, writes the files into Out and
// summary.json through WriteJSON, and its summary counts what the bbox
// path delivered.
func TestRunFixed(t *testing.T) {
	dir := t.TempDir()
	var human strings.Builder
	var jsonFiles []string
	var logged int
	o := Options{Load: LoadConfig{Rate: 20000, From: FromSource, Duration: 300 * time.Millisecond, Interval: 100 * time.Millisecond},
		Out: dir, Human: &human, Baselines: []Path{PathTCP},
		Logf: func(string, ...any) { logged++ },
		WriteJSON: func(w io.Writer, r *Report) {
			jsonFiles = append([]string(nil), r.Files...)
			json.NewEncoder(w).Encode(r.Summary)
		}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Result.Published == 0 || r.Result.Received+r.Result.Lost != r.Result.Published {
		t.Errorf("published %d, received %d, lost %d: not every record is accounted for", r.Result.Published, r.Result.Received, r.Result.Lost)
	}
	if r.Mode != "inprocess" || r.LatencyFrom != "schedule" || r.MeasuredAt != "subscriber thread" || len(r.Baselines) != 1 || r.Ratios == nil {
		t.Errorf("summary: mode %q, from %q, at %q, %d baselines, ratios %v", r.Mode, r.LatencyFrom, r.MeasuredAt, len(r.Baselines), r.Ratios)
	}
	if len(r.Shards) != 1 || r.Shards[0].CPU != -1 || r.Shards[0].Records != r.Result.Received {
		t.Errorf("shards %+v: want one unpinned shard with every record received", r.Shards)
	}
	out := human.String()
	for _, want := range []string{"bbox bench: 20k records/s for 300ms", "throughput: bbox sent", "; tcp sent", "wrote "} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	last := r.Files[len(r.Files)-1]
	if filepath.Base(last) != "summary.json" || len(jsonFiles) != len(r.Files)-1 {
		t.Errorf("files %v, summary.json listed %v: want summary.json last, listing what came before it", r.Files, jsonFiles)
	}
	var s Summary
	if data, err := os.ReadFile(last); err != nil || json.Unmarshal(data, &s) != nil || s.TargetRate != 20000 {
		t.Errorf("summary.json: %v, target %v", err, s.TargetRate)
	}
	if logged == 0 {
		t.Error("nothing logged")
	}
}

// Run's ladder and sweep, in-process: each writes its table, plots and
// .hgrm files, its summary describes a bbox run it made, and the files
// the report lists are the files in Out.
func TestRunLadderAndSweep(t *testing.T) {
	base := Options{Load: LoadConfig{Rate: 5000, Duration: 200 * time.Millisecond, Interval: 50 * time.Millisecond, From: FromSource},
		SLA: time.Second, WriteJSON: func(w io.Writer, r *Report) { json.NewEncoder(w).Encode(r.Summary) }}
	for _, c := range []struct {
		name  string
		edit  func(*Options)
		files []string
	}{
		{"ladder", func(o *Options) { o.Rates = []float64{5000, 10000} },
			[]string{"table.txt", "ladder.svg", "ladder-bbox-5k.hgrm", "ladder-bbox-10k.hgrm", "latency.hgrm", "percentiles.svg", "timeline.svg", "summary.json"}},
		{"sweep", func(o *Options) { o.Sweep, o.Factor, o.SweepMax = true, 2, 10000 },
			[]string{"sweep.hlog", "sweep.txt", "sweep.svg", "sweep-bbox-5000.hgrm", "sweep-bbox-10000.hgrm", "percentiles.svg", "summary.json"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := base
			o.Out = t.TempDir()
			var human strings.Builder
			o.Human = &human
			c.edit(&o)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			r, err := Run(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			if r.Result == nil || r.Result.Config.Path != PathBBox || (r.TargetRate != 5000 && r.TargetRate != 10000) || r.Intervals != nil {
				t.Fatalf("the summary does not describe one of bbox's runs: target %v, intervals %d", r.TargetRate, len(r.Intervals))
			}
			if (c.name == "ladder") != (r.Ladder != nil) || (c.name == "sweep") != (r.Summary.Sweep != nil) {
				t.Fatalf("ladder %v, sweep %v", r.Ladder != nil, r.Summary.Sweep != nil)
			}
			listed := map[string]bool{}
			for _, f := range r.Files {
				if _, err := os.Stat(f); err != nil {
					t.Errorf("listed %s: %v", f, err)
				}
				listed[filepath.Base(f)] = true
			}
			for _, f := range c.files {
				if !listed[f] {
					t.Errorf("%s not written (files %v)", f, r.Files)
				}
			}
			if !strings.Contains(human.String(), "wrote ") {
				t.Errorf("the report does not say what it wrote:\n%s", human.String())
			}
		})
	}
}
